"""`jjj-gateway catalog harvest`: read other gateways' DCAT-AP exports (a district's, a
province's), fetch each listed entry, check it as a local one and keep the accepted ones with
their provenance in the harvest folder
(docs/catalogue-guide.md#harvesting-other-catalogues).

The network side lives here: every call goes through adapters.outbound, bounded by a deadline
and a size cap, entries fetched by a small pool over kept-alive connections; the reading,
checking and the folder are catalog.harvest's, the scheduled mode gateway.cli.harvest_schedule's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from rdflib import Graph

from adapters.outbound import Deadline, fetch
from catalog import Catalog, CatalogError
from catalog.harvest import (
    HarvestedEntry,
    ListedDataset,
    Refusal,
    SourceReport,
    check_harvested,
    content_hash,
    harvested_ids,
    read_export_page,
    read_source_folder,
    refusals_of,
    same_origin,
    source_key,
    write_source_folder,
)
from catalog.i18n import I18n
from catalog.provenance import Origin, Provenance
from gateway.core.version import version

TURTLE = "text/turtle"


@dataclass(frozen=True, slots=True)
class Bounds:
    """How much a harvest asks of a source: per call, per answer and per export."""

    timeout: float = 30.0
    max_bytes: int = 16 << 20
    max_pages: int = 1000
    #: Entries fetched at once from one source (a small pool: a source is another gateway).
    workers: int = 8


class Stop(Protocol):
    """What tells a harvest to stop: a ``threading.Event``, or the signals of the scheduled
    mode."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


class Stopped(Exception):
    """The harvest was asked to stop (SIGTERM) before a round was over; nothing was written."""


#: GET a URL with an Accept header, returning the body (raises httpx.HTTPError or ValueError).
Fetch = Callable[[str, str], bytes]


def harvest_client(bounds: Bounds, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The client of a harvest: one pool, kept alive between calls, a connection per worker."""
    limits = httpx.Limits(max_connections=bounds.workers, max_keepalive_connections=bounds.workers)
    return httpx.Client(follow_redirects=False, transport=transport, limits=limits)


def bounded_fetch(bounds: Bounds, client: httpx.Client) -> Fetch:
    def get(url: str, accept: str) -> bytes:
        headers = {"Accept": accept, "User-Agent": f"jjj-gateway/{version()} harvest"}
        deadline = Deadline.after(bounds.timeout)
        return fetch(url, deadline=deadline, cap=bounds.max_bytes, headers=headers, client=client)

    return get


class SourceDown(Exception):
    """The source's export could not be read whole: the last good harvest is kept."""


def _listing(url: str, get: Fetch, bounds: Bounds, stop: Stop) -> tuple[list[ListedDataset], I18n]:
    """Every dataset of the source's export, following its next pages within the bounds."""
    datasets: dict[str, ListedDataset] = {}
    publisher = I18n("", "")
    seen: set[str] = set()
    page: str | None = url
    while page is not None:
        if stop.is_set():
            raise Stopped
        if page in seen:
            raise SourceDown(f"the pages lead back to {page}")
        if len(seen) >= bounds.max_pages:
            raise SourceDown(f"more than {bounds.max_pages} pages (--max-pages)")
        if not same_origin(url, page):
            raise SourceDown(f"a next page on another server: {page}")
        seen.add(page)
        try:
            body = get(page, TURTLE)
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceDown(f"{page}: {_failure(exc)}") from exc
        try:
            graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
        except Exception as exc:  # rdflib raises many kinds for text that is not Turtle
            raise SourceDown(f"{page}: not a DCAT-AP export in Turtle ({exc})") from exc
        listed = read_export_page(graph)
        if listed.publisher.zh or listed.publisher.en:
            publisher = listed.publisher
        for item in listed.datasets:
            datasets.setdefault(item.iri, item)
        page = listed.next_page
    return list(datasets.values()), publisher


def _failure(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"answered {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time (--timeout)"
    return str(exc) or type(exc).__name__


def _entry_id(iri: str) -> str:
    return urlsplit(iri).path.rstrip("/").rsplit("/", 1)[-1]


#: What fetching an entry can fail with.
FETCH_FAILURES = (httpx.HTTPError, ValueError, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class Fetched:
    """An entry fetched from a source, and who published it first when not the source."""

    entry: dict[str, Any]
    origin: Origin | None


def fetch_entry(get: Fetch, iri: str) -> Fetched:
    """The entry at ``<IRI>/entry`` (``{"data": {…}, "meta": {"provenance": …}}``), its origin
    the provenance's when the source harvested it; raises one of FETCH_FAILURES."""
    body = json.loads(get(f"{iri.rstrip('/')}/entry", "application/json"))
    entry = body["data"]
    if not isinstance(entry, dict):
        raise ValueError('the answer holds no entry ({"data": {…}})')
    meta = body.get("meta") or {}
    upstream = meta.get("provenance") if isinstance(meta, dict) else None
    # The source's own record of where it fetched the entry from: the first publisher is kept,
    # however many catalogues the entry passed through.
    origin = Provenance.from_json(upstream).first if upstream is not None else None
    return Fetched(entry, origin)


def unchanged_since(kept: HarvestedEntry | None, item: ListedDataset) -> bool:
    """Whether the entry kept from the last harvest stands for the source's without fetching
    it: the export lists the same IRI with the same, non-empty ``dct:modified``, and the kept
    file is still the entry its hash names (docs/catalogue-guide.md#harvesting-other-catalogues)."""
    return (
        kept is not None
        and item.modified != ""
        and kept.provenance.iri == item.iri
        and kept.provenance.modified == item.modified
        and content_hash(kept.entry) == kept.provenance.content_hash
    )


T = TypeVar("T")
R = TypeVar("R")


def in_order(
    items: Sequence[T], work: Callable[[T], R], workers: int, stop: Stop
) -> Iterator[tuple[T, Future[R]]]:
    """Each item with its ``work`` done by a pool of ``workers`` threads, in the items' order,
    no more than two per worker ahead of the caller; Stopped when ``stop`` is set (asked on the
    caller's thread, where the stop signals are taken)."""
    with ThreadPoolExecutor(workers, thread_name_prefix="harvest") as pool:
        window: deque[tuple[T, Future[R]]] = deque()
        try:
            for item in items:
                if stop.is_set():
                    raise Stopped
                window.append((item, pool.submit(work, item)))
                if len(window) >= 2 * workers:
                    yield window.popleft()
            while window:
                if stop.is_set():
                    raise Stopped
                yield window.popleft()
        finally:
            for _, future in window:
                future.cancel()


def harvest_source(
    url: str,
    catalog: Catalog,
    root: Path,
    get: Fetch,
    *,
    bounds: Bounds,
    now: dt.datetime,
    stop: Stop,
    full: bool = False,
) -> SourceReport:
    """One harvest of one source: its folder replaced by the entries accepted now, or left as
    it was when the source cannot be read. Entries are fetched by ``bounds.workers`` at once;
    one unchanged since the last harvest is not fetched again unless ``full``."""
    report = SourceReport(url)
    key = source_key(url)
    try:
        previous = read_source_folder(root / key) if (root / key).is_dir() else {}
    except CatalogError:
        previous = {}  # a folder edited by hand: this harvest replaces it
    try:
        listed, publisher = _listing(url, get, bounds, stop)
    except SourceDown as exc:
        report.error = str(exc)
        return report
    others = harvested_ids(root, key)
    harvested = now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    def obtain(item: ListedDataset) -> Refusal | HarvestedEntry | Fetched:
        """A refusal, the kept entry, or the entry fetched now (raises FETCH_FAILURES)."""
        dataset_id = _entry_id(item.iri)
        refusal = _collision(item.iri, dataset_id, url, catalog, others)
        if refusal is not None:
            return refusal
        kept = previous.get(dataset_id)
        if not full and unchanged_since(kept, item):
            assert kept is not None
            return kept
        return fetch_entry(get, item.iri)

    accepted: dict[str, HarvestedEntry] = {}
    for item, future in in_order(listed, obtain, bounds.workers, stop):
        dataset_id = _entry_id(item.iri)
        try:
            got = future.result()
        except FETCH_FAILURES as exc:
            kept = previous.get(dataset_id)
            reason = f"the entry could not be fetched: {_failure(exc)}"
            if kept is not None:
                accepted[dataset_id] = kept
                reason += f"; the one harvested {kept.provenance.harvested} is kept"
            report.refused.append(Refusal(item.iri, "$", reason))
            continue
        if isinstance(got, Refusal):
            report.refused.append(got)
            continue
        if isinstance(got, HarvestedEntry):
            entry, provenance = got.entry, got.provenance
        else:
            entry = got.entry
            provenance = Provenance(
                source=url,
                publisher=publisher,
                iri=item.iri,
                harvested=harvested,
                modified=item.modified,
                content_hash=content_hash(entry),
                origin=got.origin,
            )
        try:
            # A kept entry is checked again too: the central registry may have changed since.
            check_harvested(entry, provenance, catalog)
        except CatalogError as exc:
            report.refused.extend(refusals_of(exc))
            continue
        accepted[dataset_id] = HarvestedEntry(entry, provenance)
    report.compare(previous, accepted)
    write_source_folder(root, key, accepted)
    return report


def _collision(
    iri: str, dataset_id: str, url: str, catalog: Catalog, others: dict[str, str]
) -> Refusal | None:
    if not same_origin(url, iri):
        return Refusal(iri, "$", "the dataset is not on the server of the export")
    if dataset_id in catalog.datasets:
        return Refusal(iri, "$.id", f"{dataset_id!r} is an entry of this catalogue already")
    if dataset_id in others:
        return Refusal(iri, "$.id", f"{dataset_id!r} is harvested from {others[dataset_id]}")
    return None


def harvest_round(
    urls: Sequence[str],
    catalog: Catalog,
    root: Path,
    get: Fetch,
    *,
    bounds: Bounds,
    stop: Stop,
    full: bool = False,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> list[SourceReport]:
    """Each source harvested in turn; ``catalog`` is the central one, without harvested
    entries (they are what is being replaced)."""
    return [
        harvest_source(url, catalog, root, get, bounds=bounds, now=clock(), stop=stop, full=full)
        for url in urls
    ]


def report_lines(report: SourceReport) -> list[str]:
    """The report of one source for people."""
    if report.error is not None:
        return [f"{report.source}: not harvested, the last harvest is kept: {report.error}"]
    counts = ", ".join(
        f"{len(getattr(report, name))} {name}"
        for name in ("added", "updated", "unchanged", "removed", "refused")
    )
    lines = [f"{report.source}: {counts}"]
    for name in ("added", "updated", "removed"):
        ids = getattr(report, name)
        if ids:
            lines.append(f"  {name}: {', '.join(ids)}")
    lines.extend(f"  refused {r.file} {r.path}: {r.reason}" for r in report.refused)
    return lines


__all__ = [
    "FETCH_FAILURES",
    "Bounds",
    "Fetched",
    "Stop",
    "Stopped",
    "bounded_fetch",
    "fetch_entry",
    "harvest_client",
    "harvest_round",
    "harvest_source",
    "in_order",
    "report_lines",
    "unchanged_since",
]
