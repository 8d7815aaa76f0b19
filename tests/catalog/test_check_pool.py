"""Entries checked by a pool of processes: the same catalogue and the same issues, in file order,
as when they are checked one after the other."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

import catalog.check_pool
from catalog import CatalogError, load_catalog
from catalog.check_pool import MIN_PARALLEL, check_in_chunks, processes_for


def _issues(datasets: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(datasets)
    return [(issue.file, issue.path, issue.message) for issue in caught.value.issues]


def _break_some(datasets: Path) -> None:
    entries = sorted(datasets.glob("*.yaml"))
    entries[0].write_bytes(b"id: [unclosed\n")
    entries[3].write_bytes(b"\xff\xfe not utf-8")
    text = entries[5].read_text("utf-8")
    entries[5].write_text(text.replace("\nlevel: ", "\nlevel: 9\nx-unknown: ", 1), "utf-8")
    text = entries[-1].read_text("utf-8")
    entries[-1].write_text(text.replace("\nshareType: ", "\nshareType: nobody-", 1), "utf-8")


def test_a_pool_reports_every_issue_in_file_order_as_the_serial_check_does(
    datasets_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_some(datasets_copy)
    monkeypatch.setattr(catalog.check_pool, "processes_for", lambda count: 1)
    serial = _issues(datasets_copy)
    monkeypatch.setattr(catalog.check_pool, "processes_for", lambda count: 2)
    pooled = _issues(datasets_copy)
    assert pooled == serial
    assert len({file for file, _, _ in serial}) == 4


def test_a_pool_builds_the_same_catalogue(
    datasets_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog.check_pool, "processes_for", lambda count: 1)
    serial = load_catalog(datasets_copy)
    monkeypatch.setattr(catalog.check_pool, "processes_for", lambda count: 3)
    pooled = load_catalog(datasets_copy)
    assert list(pooled.datasets) == list(serial.datasets)
    assert [(d.title, d.record_schema, d.fields) for d in pooled] == [
        (d.title, d.record_schema, d.fields) for d in serial
    ]


def test_chunks_come_back_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog.check_pool, "processes_for", lambda count: 2)
    assert check_in_chunks(_squares, list(range(101))) == [n * n for n in range(101)]


def test_a_small_catalogue_is_checked_in_this_process() -> None:
    assert processes_for(MIN_PARALLEL - 1) == 1


def _squares(numbers: Sequence[int]) -> list[int]:
    return [n * n for n in numbers]
