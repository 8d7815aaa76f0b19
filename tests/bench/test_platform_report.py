"""The platform table of the bench report: every figure beside its target, for each size, and
what a run cannot measure said as such."""

from __future__ import annotations

from typing import Any

import pytest

from bench.__main__ import parse_args
from bench.platform import Fetch, _next_link
from bench.platform_report import ROWS, render_platform


def _fetch(size: int, ms: float, status: int = 200) -> dict[str, Any]:
    return Fetch("/x", status, size, ms * 2, ms).as_json()


def _size(check_s: float, openapi_bytes: int, rss: float, p99: float) -> dict[str, Any]:
    load = {"latencyMs": {"p99": p99}, "errors": {"status": 0}, "requestsPerSecond": 900.0}
    return {
        "check": {"seconds": check_s, "peakRssMb": 120.0},
        "serve": {
            "readyColdSeconds": 4.0,
            "readyWarmSeconds": 2.0,
            "rssReadyColdMb": rss,
            "rssReadyMb": rss,
            "pssReadyMb": rss,
            "rssAfterDocumentsMb": rss,
            "rssAfterLoadMb": rss,
            "searchFirstMs": {"q": 9.0, "facets": 3.0, "combined": 4.0},
            "searchTotals": {"q": 2, "facets": 3, "combined": 2},
            "search": {"q": load, "facets": load, "combined": load},
            "fetches": {
                "openapi": _fetch(openapi_bytes, 20),
                "docs": _fetch(30_000, 5),
                "datasetOpenapi": _fetch(0, 1, status=404),
                "datasetDocs": _fetch(57_000, 9),
                "datasetDcat": _fetch(8_000, 3),
                "home": _fetch(40_000, 10),
                "searchPage": _fetch(40_000, 10),
                "regions": _fetch(7_000, 3),
                "datasetPage": _fetch(27_000, 9),
            },
            "dcat": {
                "firstPage": _fetch(300_000, 15),
                "paged": True,
                "pages": 32,
                "wholeBytes": 9_000_000,
                "wholeMs": 600.0,
            },
        },
        "demo": {
            "fresh": {"readySeconds": 5.0, "rssMb": 160.0},
            "again": {"readySeconds": 3.0, "rssMb": 150.0},
        },
    }


def _row(table: str, title: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"| {title} |"))


def test_every_figure_has_a_row_with_both_sizes() -> None:
    table = render_platform(
        {
            "sizes": [9, 3158],
            "results": {"9": _size(1.0, 200_000, 120, 20), "3158": _size(5.0, 800_000, 200, 40)},
        }
    )
    for title, target, _ in ROWS:
        cells = _row(table, title).split(" | ")
        assert len(cells) == 4 and cells[-1] == f"{target} |"
    assert "| 9 datasets | 3,158 datasets | target |" in table


def test_targets_are_marked_met_or_not() -> None:
    table = render_platform(
        {
            "sizes": [9, 3158],
            # 3,149 datasets more: at most 1 s × (1 + 3 × 3.149) = 10.4 s for the check.
            "results": {"9": _size(1.0, 200_000, 120, 20), "3158": _size(11.0, 2_000_000, 300, 60)},
        }
    )
    assert _row(table, "`jjj-gateway catalog check`").count("✗") == 1
    assert _row(table, "`/openapi.json`").endswith("✗ | < 1 MB |")
    assert _row(table, "worker PSS when ready (shared pages split)").count("✗") == 1
    assert _row(table, "search `q=企业`, one worker").count("✗") == 1
    assert "not available | not available" in _row(table, "one dataset's OpenAPI")
    assert "32 pages" in _row(table, "`/v1/catalog/dcat`")


def test_the_next_page_is_read_from_the_link_header() -> None:
    header = '</v1/catalog/dcat?page=1>; rel="first", </v1/catalog/dcat?page=2>; rel="next"'
    assert _next_link({"link": header}) == "/v1/catalog/dcat?page=2"
    assert _next_link({"link": '</v1/catalog/dcat?page=1>; rel="first"'}) is None
    assert _next_link({}) is None


def test_platform_alone_skips_the_other_parts() -> None:
    args = parse_args(["--platform", "--platform-sizes", "9,500"])
    assert (args.scenarios, args.databases, args.no_pipeline, args.no_reference) == (
        [],
        [],
        True,
        True,
    )
    assert args.platform_sizes == [9, 500]


@pytest.mark.parametrize("sizes", ["8", "nine", ""])
def test_a_size_below_the_shipped_catalogue_is_refused(sizes: str) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_args(["--platform-sizes", sizes])
    assert caught.value.code == 2


def test_the_search_p99_is_judged_below_saturation_and_the_queue_shown_beside_it() -> None:
    found = _size(5.0, 800_000, 200, 20)
    queued = {"latencyMs": {"p99": 140.0}, "errors": {"status": 3}, "requestsPerSecond": 400.0}
    found["serve"]["searchSaturated"] = {"q": queued}
    table = render_platform({"sizes": [9, 3158], "results": {"9": found, "3158": found}})
    row = _row(table, "search `q=企业`, one worker")
    assert "p99 20.0 ms" in row and "at the run's connections: 400 req/s, p99 140 ms" in row
    # Errors under either load fail the figure, whatever the p99 below saturation.
    assert "3 errors ✗" in row


def test_the_full_run_measures_the_sql_node_at_ten_million_rows_and_smaller_runs_do_not() -> None:
    assert parse_args([]).node_rows == 10_000_000
    assert parse_args(["--quick"]).node_rows == 0
    assert parse_args(["--platform"]).node_rows == 0
    assert parse_args(["--node-rows", "0"]).node_rows == 0
    assert parse_args(["--quick", "--node-rows", "50000"]).node_rows == 50_000
