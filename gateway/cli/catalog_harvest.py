"""`jjj-gateway catalog harvest`: read other gateways' DCAT-AP exports (a district's, a
province's), fetch each listed entry, check it as a local one and keep the accepted ones with
their provenance in the harvest folder
(docs/catalogue-guide.md#harvesting-other-catalogues).

The network side lives here: every call goes through adapters.outbound, bounded by a deadline
and a size cap; the reading, checking and the folder are catalog.harvest's.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
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
from catalog.provenance import Provenance
from gateway.core.version import version

log = logging.getLogger("gateway.harvest")
TURTLE = "text/turtle"
#: ± this share of the interval is added at random to each sleep of the scheduled mode, so that
#: many central gateways do not call a source at the same instant.
JITTER = 0.1


@dataclass(frozen=True, slots=True)
class Bounds:
    """How much a harvest asks of a source: per call, per answer and per export."""

    timeout: float = 30.0
    max_bytes: int = 16 << 20
    max_pages: int = 1000


class Stop(Protocol):
    """What tells a harvest to stop: a ``threading.Event``, or the signals of the scheduled
    mode."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


class StopSignals:
    """SIGTERM and SIGINT, held pending rather than handled: a round asks between entries
    whether one came, and the sleep between rounds waits for one. No handler runs at an
    arbitrary point of the program (one that takes a lock the interrupted code holds would
    deadlock), so nothing is half done when the harvest stops."""

    SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})

    def __init__(self) -> None:
        # Blocked before any thread starts, so that every thread inherits the mask and the
        # signals stay pending for the main thread to take.
        signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        self._received = False

    def is_set(self) -> bool:
        self._received = self._received or bool(signal.sigpending() & self.SIGNALS)
        return self._received

    def wait(self, timeout: float) -> bool:
        if not self.is_set():
            self._received = signal.sigtimedwait(self.SIGNALS, timeout) is not None
        return self._received


class Stopped(Exception):
    """The harvest was asked to stop (SIGTERM) before a round was over; nothing was written."""


#: GET a URL with an Accept header, returning the body (raises httpx.HTTPError or ValueError).
Fetch = Callable[[str, str], bytes]


def bounded_fetch(bounds: Bounds, transport: httpx.BaseTransport | None = None) -> Fetch:
    def get(url: str, accept: str) -> bytes:
        headers = {"Accept": accept, "User-Agent": f"jjj-gateway/{version()} harvest"}
        deadline = Deadline.after(bounds.timeout)
        return fetch(
            url, deadline=deadline, cap=bounds.max_bytes, headers=headers, transport=transport
        )

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


def harvest_source(
    url: str,
    catalog: Catalog,
    root: Path,
    get: Fetch,
    *,
    bounds: Bounds,
    now: dt.datetime,
    stop: Stop,
) -> SourceReport:
    """One harvest of one source: its folder replaced by the entries accepted now, or left as
    it was when the source cannot be read."""
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
    accepted: dict[str, HarvestedEntry] = {}
    for item in listed:
        if stop.is_set():
            raise Stopped
        dataset_id = _entry_id(item.iri)
        refusal = _collision(item.iri, dataset_id, url, catalog, others)
        if refusal is not None:
            report.refused.append(refusal)
            continue
        try:
            body = json.loads(get(f"{item.iri.rstrip('/')}/entry", "application/json"))
            entry = body["data"]
            if not isinstance(entry, dict):
                raise ValueError('the answer holds no entry ({"data": {…}})')
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            kept = previous.get(dataset_id)
            reason = f"the entry could not be fetched: {_failure(exc)}"
            if kept is not None:
                accepted[dataset_id] = kept
                reason += f"; the one harvested {kept.provenance.harvested} is kept"
            report.refused.append(Refusal(item.iri, "$", reason))
            continue
        provenance = Provenance(
            source=url,
            publisher=publisher,
            iri=item.iri,
            harvested=harvested,
            modified=item.modified,
            content_hash=content_hash(entry),
        )
        try:
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
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> list[SourceReport]:
    """Each source harvested in turn; ``catalog`` is the central one, without harvested
    entries (they are what is being replaced)."""
    return [
        harvest_source(url, catalog, root, get, bounds=bounds, now=clock(), stop=stop)
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


def log_round(reports: Sequence[SourceReport]) -> None:
    for report in reports:
        summary = "; ".join(report_lines(report))
        log.log(
            logging.WARNING if report.error or report.refused else logging.INFO,
            summary,
            extra={"harvest": report.as_json()},
        )


def next_wait(every: float, rng: random.Random) -> float:
    return every * (1 + rng.uniform(-JITTER, JITTER))


def run_every(
    every: float,
    round_once: Callable[[], Sequence[SourceReport]],
    stop: Stop,
    rng: random.Random | None = None,
) -> None:
    """The scheduled mode: a round, its report in the logs, a sleep with jitter, until
    ``stop`` is set (a round cut short by it writes nothing)."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
    while not stop.is_set():
        try:
            log_round(round_once())
        except Stopped:
            break
        stop.wait(next_wait(every, rng))
    log.info("harvest stopped")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90s``, ``15m``, ``6h`` or ``1d`` in seconds; ValueError when it is none of them."""
    number, unit = text[:-1], text[-1:].lower()
    if unit not in _UNITS or not number.isascii() or not number.isdigit() or int(number) < 1:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 6h or 1d")
    return float(int(number) * _UNITS[unit])


__all__ = [
    "Bounds",
    "Stop",
    "StopSignals",
    "Stopped",
    "bounded_fetch",
    "harvest_round",
    "harvest_source",
    "log_round",
    "parse_duration",
    "report_lines",
    "run_every",
]
