"""The platform table of the report: one row per figure, one column per catalogue size, each
figure beside its target (✓/✗; – where there is none, "not available" where the gateway does
not serve the address)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import platform as p
from .report import mark

Cell = tuple[str, bool | None]


def _kb(size: int) -> str:
    return f"{size / 1000:,.1f} KB" if size < 1_000_000 else f"{size / 1e6:,.1f} MB"


def _fetched(found: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    fetched = found["serve"]["fetches"].get(name)
    return fetched if fetched and fetched["status"] == 200 else None


def _document(
    name: str, *, max_bytes: int | None = None, max_ms: float | None = None
) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Cell]:
    def cell(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
        fetched = _fetched(found, name)
        if fetched is None:
            return "not available", None
        checks = []
        if max_bytes is not None:
            checks.append(fetched["bytes"] <= max_bytes)
        if max_ms is not None:
            checks.append(fetched["medianMs"] <= max_ms)
        text = (
            f"{_kb(fetched['bytes'])}, {fetched['medianMs']:,.0f} ms "
            f"(first {fetched['firstMs']:,.0f} ms)"
        )
        return text, all(checks) if checks else None

    return cell


def _unchanged(name: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Cell]:
    def cell(found: Mapping[str, Any], small: Mapping[str, Any]) -> Cell:
        fetched, base = _fetched(found, name), _fetched(small, name)
        if fetched is None or base is None:
            return "not available", None
        bound = base["medianMs"] * p.UNCHANGED_FACTOR + p.UNCHANGED_SLACK_MS
        met = fetched["medianMs"] <= bound
        return f"{fetched['medianMs']:,.1f} ms, {_kb(fetched['bytes'])}", met

    return cell


def _check(found: Mapping[str, Any], small: Mapping[str, Any]) -> Cell:
    check, base = found["check"], small["check"]
    added = max(0, found["datasets"] - small["datasets"]) / 1000
    bound = base["seconds"] * (1 + p.CHECK_GROWTH * added)
    return f"{check['seconds']:.1f} s, {check['peakRssMb']:.0f} MB", check["seconds"] <= bound


def _ready(key: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Cell]:
    def cell(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
        seconds = found["serve"][key]
        return f"{seconds:.1f} s", seconds < p.READY_SECONDS

    return cell


def _rss(key: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Cell]:
    def cell(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
        mb = found["serve"][key]
        return f"{mb:.0f} MB", None

    return cell


def _pss(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
    mb = found["serve"].get("pssReadyMb")
    return ("not measured", None) if not mb else (f"{mb:.0f} MB", mb < p.WORKER_RSS_MB)


def _demo(start: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Cell]:
    def cell(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
        demo = found.get("demo")
        if not demo:
            return "not measured", None
        seconds = demo[start]["readySeconds"]
        return f"{seconds:.1f} s, {demo[start]['rssMb']:.0f} MB", seconds < p.READY_SECONDS

    return cell


def _dcat(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
    dcat = found["serve"]["dcat"]
    first = dcat["firstPage"]
    if first["status"] != 200:
        return "not available", None
    text = f"first page {_kb(first['bytes'])}, {first['medianMs']:,.0f} ms"
    if dcat["paged"]:
        text += f"; {dcat['pages']} pages, {_kb(dcat['wholeBytes'])}, {dcat['wholeMs']:,.0f} ms"
    else:
        text += " (one document)"
    return text, None


def _search(key: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Cell]:
    def cell(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
        load = found["serve"]["search"][key]
        p99 = load["latencyMs"]["p99"]
        errors = sum(load["errors"].values())
        total = found["serve"]["searchTotals"][key]
        text = f"p99 {p99:.1f} ms, {load['requestsPerSecond']:,.0f} req/s, {total} found"
        saturated = found["serve"].get("searchSaturated", {}).get(key)
        if saturated:
            errors += sum(saturated["errors"].values())
            text += (
                f" (at the run's connections: {saturated['requestsPerSecond']:,.0f} req/s, "
                f"p99 {saturated['latencyMs']['p99']:.0f} ms)"
            )
        if errors:
            text += f", {errors} errors"
        return text, p99 <= p.SEARCH_P99_MS and not errors

    return cell


def _first_search(found: Mapping[str, Any], _small: Mapping[str, Any]) -> Cell:
    firsts = found["serve"]["searchFirstMs"]
    worst = max(firsts.values())
    return ", ".join(f"{k} {v:.0f} ms" for k, v in firsts.items()), worst <= p.SEARCH_P99_MS


ROWS: tuple[tuple[str, str, Callable[[Mapping[str, Any], Mapping[str, Any]], Cell]], ...] = (
    ("`jjj-gateway catalog check`", f"+≤ {p.CHECK_GROWTH:.0f}× the 9-dataset time / 1,000", _check),
    ("serve ready, catalogue checked", f"< {p.READY_SECONDS:.0f} s", _ready("readyColdSeconds")),
    ("serve ready, catalogue kept", f"< {p.READY_SECONDS:.0f} s", _ready("readyWarmSeconds")),
    ("worker RSS when ready (shared pages counted whole)", "–", _rss("rssReadyMb")),
    ("worker PSS when ready (shared pages split)", f"< {p.WORKER_RSS_MB:.0f} MB", _pss),
    ("worker RSS after the documents", "–", _rss("rssAfterDocumentsMb")),
    ("worker RSS after the search load", "–", _rss("rssAfterLoadMb")),
    ("demo ready, fresh instance", f"< {p.READY_SECONDS:.0f} s", _demo("fresh")),
    ("demo ready, again", f"< {p.READY_SECONDS:.0f} s", _demo("again")),
    ("`/openapi.json`", "< 1 MB", _document("openapi", max_bytes=p.OPENAPI_BYTES)),
    ("`/docs`", "< 1 s", _document("docs", max_ms=p.DOCS_SECONDS * 1000)),
    ("one dataset's OpenAPI", "–", _document("datasetOpenapi")),
    (
        "one dataset's reference page",
        "< 1 s",
        _document("datasetDocs", max_ms=p.DOCS_SECONDS * 1000),
    ),
    ("`/v1/catalog/dcat`", "paged", _dcat),
    ("one dataset's DCAT (JSON-LD)", "–", _document("datasetDcat")),
    (
        "catalogue home page",
        "< 100 KB, < 100 ms",
        _document("home", max_bytes=p.PAGE_BYTES, max_ms=p.PAGE_MS),
    ),
    (
        "search page `?q=企业`",
        "< 100 KB, < 100 ms",
        _document("searchPage", max_bytes=p.PAGE_BYTES, max_ms=p.PAGE_MS),
    ),
    ("region browser", "unchanged", _unchanged("regions")),
    ("one dataset page", "unchanged", _unchanged("datasetPage")),
    ("search `q=企业`, one worker", f"p99 < {p.SEARCH_P99_MS:.0f} ms", _search("q")),
    ("search facets, one worker", f"p99 < {p.SEARCH_P99_MS:.0f} ms", _search("facets")),
    ("search combined, one worker", f"p99 < {p.SEARCH_P99_MS:.0f} ms", _search("combined")),
    ("first search requests", f"< {p.SEARCH_P99_MS:.0f} ms", _first_search),
)


def render_platform(platform: Mapping[str, Any]) -> str:
    sizes = [str(size) for size in platform["sizes"]]
    results = {size: {**platform["results"][size], "datasets": int(size)} for size in sizes}
    small = results[sizes[0]]
    lines = [
        f"### Platform scale: the catalogue at {' and '.join(f'{int(s):,}' for s in sizes)} "
        f"datasets (serve: {p.SHAPE.workers} worker × {p.SHAPE.threads} threads)",
        "",
        "| what | " + " | ".join(f"{int(s):,} datasets" for s in sizes) + " | target |",
        "|---|" + "---|" * len(sizes) + ":---:|",
    ]
    for title, target, cell in ROWS:
        cells = []
        for size in sizes:
            text, met = cell(results[size], small)
            cells.append(text if met is None else f"{text} {mark(met)}")
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {target} |")
    notes = [
        f"- search facets: `{'&'.join(f'{k}={v}' for k, v in p.SEARCHES['facets'].items())}`; "
        f"combined: `{'&'.join(f'{k}={v}' for k, v in p.SEARCHES['combined'].items())}`",
        f"- search p99: {p.SEARCH_CLIENTS} clients sending back to back (the worker's queue at "
        "the run's connections is in brackets: its p99 is the queue, not the search)",
        "- documents: the median of the requests after the first, whose time is in brackets",
        "- memory: the worker's PSS counts the pages it shares with the master (the configuration "
        "loaded before the fork) once between them, as the pod's memory does; its RSS counts "
        "them whole in every worker",
    ]
    return "\n".join([*lines, "", *notes])
