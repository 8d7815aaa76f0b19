"""A dataset's validators are compiled on first use, once, whichever threads ask first; the
meta-schema check refuses what it refused before it had a compiled fast path."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import catalog.loader
from catalog import CatalogError, load_catalog
from catalog.validation import RecordValidator

#: A record of market-entity-registration: the first example its entry publishes.
RECORD: dict[str, Any] = (
    load_catalog().datasets["market-entity-registration"].record_schema["examples"][0]
)


class CountingRecordValidator(RecordValidator):
    made = 0

    def __init__(self, record_schema: Any) -> None:
        type(self).made += 1
        super().__init__(record_schema)


def test_loading_compiles_no_dataset_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_catalog()
    monkeypatch.setattr(catalog.loader, "RecordValidator", CountingRecordValidator)
    CountingRecordValidator.made = 0
    dataset = loaded.get("market-entity-registration")
    assert dataset is not None
    assert CountingRecordValidator.made == 0
    assert dataset.record_errors(RECORD) == []
    assert dataset.record_errors({**RECORD, "status": 1}) != []
    assert CountingRecordValidator.made == 1


def test_concurrent_first_use_compiles_the_validators_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dataset = load_catalog().get("market-entity-registration")
    assert dataset is not None
    monkeypatch.setattr(catalog.loader, "RecordValidator", CountingRecordValidator)
    CountingRecordValidator.made = 0
    start = threading.Barrier(8)
    answers: list[object] = []

    def first_use() -> None:
        start.wait()
        answers.append(dataset.record_errors(RECORD))
        answers.append(dataset.filter_errors({"status": {"eq": "存续"}}))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [[]] * 16
    assert CountingRecordValidator.made == 1


def test_an_entry_the_compiled_check_refuses_is_explained_by_path(
    datasets_copy: Path,
) -> None:
    path = datasets_copy / "tax-credit-rating.yaml"
    # Unquoted, YAML reads a date: not JSON data, and not the string the meta-schema asks for.
    text = path.read_text("utf-8").replace('modified: "2026-04-30"', "modified: 2026-04-30")
    path.write_text(text, "utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(datasets_copy)
    [issue] = caught.value.issues
    assert (issue.file, issue.path) == ("tax-credit-rating.yaml", "$.modified")
    assert "is not of type 'string'" in issue.message
