"""The checked catalogue kept between starts: used only for the very same entries, ignored when
it is damaged or stale, never a reason for a load to fail or to differ."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import catalog.loader
from catalog import Catalog, CatalogError, SearchIndex, load_catalog
from catalog.collation import title_sort_keys
from catalog.load_cache import FILE_NAME


def _load(datasets: Path, cache: Path) -> Catalog:
    return load_catalog(datasets, cache_dir=cache)


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_text: str) -> Any:
        raise AssertionError("an entry was parsed although the cache holds the catalogue")

    monkeypatch.setattr(catalog.loader, "parse_yaml", refuse)


def _as_seen(loaded: Catalog) -> list[tuple[Any, ...]]:
    return [
        (d.id, d.title, d.provider, d.themes, d.fields, d.record_schema, d.query_schema)
        for d in loaded
    ]


def test_the_same_entries_load_from_the_cache_as_they_were_checked(
    datasets_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = _load(datasets_copy, cache)
    assert (cache / FILE_NAME).is_file()
    _no_parsing(monkeypatch)
    second = _load(datasets_copy, cache)
    assert _as_seen(second) == _as_seen(first)
    example = first.datasets["market-entity-registration"].record_schema["examples"][0]
    assert second.datasets["market-entity-registration"].record_errors(example) == []
    assert second.datasets["market-entity-registration"].record_errors({}) != []


def test_an_edited_entry_is_checked_again(datasets_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _load(datasets_copy, cache)
    entry = datasets_copy / "tax-credit-rating.yaml"
    entry.write_text(entry.read_text("utf-8").replace("\nlevel: 2\n", "\nlevel: 9\n"), "utf-8")
    with pytest.raises(CatalogError) as caught:
        _load(datasets_copy, cache)
    assert [(i.file, i.path) for i in caught.value.issues] == [
        ("tax-credit-rating.yaml", "$.level")
    ]


def test_an_added_or_removed_entry_is_not_served_from_the_cache(
    datasets_copy: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    assert "tax-credit-rating" in _load(datasets_copy, cache).datasets
    (datasets_copy / "tax-credit-rating.yaml").unlink()
    assert "tax-credit-rating" not in _load(datasets_copy, cache).datasets


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"key": "0000", "documents": []}',
    ],
    ids=["empty", "not-json", "not-utf8", "not-an-object", "another-key"],
)
def test_a_damaged_or_stale_cache_is_ignored_and_written_anew(
    datasets_copy: Path, tmp_path: Path, damage: bytes
) -> None:
    cache = tmp_path / "cache"
    expected = _as_seen(_load(datasets_copy, cache))
    (cache / FILE_NAME).write_bytes(damage)
    assert _as_seen(_load(datasets_copy, cache)) == expected
    assert json.loads((cache / FILE_NAME).read_bytes())["key"] != "0000"


def test_documents_under_the_right_key_but_of_the_wrong_shape_are_ignored(
    datasets_copy: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    expected = _as_seen(_load(datasets_copy, cache))
    stored = json.loads((cache / FILE_NAME).read_bytes())
    (cache / FILE_NAME).write_text(json.dumps({"key": stored["key"], "documents": [1]}), "utf-8")
    assert _as_seen(_load(datasets_copy, cache)) == expected


def test_a_cache_path_that_is_a_file_changes_nothing(datasets_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a folder", "utf-8")
    assert len(_load(datasets_copy, cache)) == 9
    assert len(_load(datasets_copy, cache)) == 9


def test_a_schema_value_that_is_not_json_is_a_located_problem(
    datasets_copy: Path, tmp_path: Path
) -> None:
    entry = datasets_copy / "tax-credit-rating.yaml"
    # A field's default is data the meta-schema does not constrain; unquoted, YAML reads a date.
    text = entry.read_text("utf-8").replace(
        "    ratingYear:\n", "    ratingYear:\n      default: 2025-01-01\n"
    )
    entry.write_text(text, "utf-8")
    cache = tmp_path / "cache"
    with pytest.raises(CatalogError) as caught:
        _load(datasets_copy, cache)
    [issue] = caught.value.issues
    assert issue.path == "$.recordSchema.properties.ratingYear.default"
    assert issue.message == "not JSON data (date): write it in quotes"
    assert not (cache / FILE_NAME).exists()


def test_an_entry_that_is_not_utf8_is_a_located_problem(
    datasets_copy: Path, tmp_path: Path
) -> None:
    entry = datasets_copy / "tax-credit-rating.yaml"
    entry.write_bytes(entry.read_bytes().replace("纳税信用".encode(), "纳税信用".encode("gb18030")))
    with pytest.raises(CatalogError) as caught:
        _load(datasets_copy, tmp_path / "cache")
    [issue] = caught.value.issues
    assert (issue.file, issue.path) == ("tax-credit-rating.yaml", "$")
    assert issue.message.startswith("not UTF-8 text")


def test_no_folder_is_made_where_its_parent_is_missing(datasets_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "instance" / "cache"
    assert len(_load(datasets_copy, cache)) == 9
    assert not (tmp_path / "instance").exists()


def test_a_start_from_the_cache_orders_chinese_titles_without_pypinyin(
    datasets_copy: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    expected = SearchIndex(load_catalog(datasets_copy)).title_ranks("zh")
    _load(datasets_copy, cache)
    script = (
        "import sys; from pathlib import Path; from catalog import SearchIndex, load_catalog; "
        f"c = load_catalog(Path({str(datasets_copy)!r}), cache_dir=Path({str(cache)!r})); "
        "print(json.dumps([list(SearchIndex(c).title_ranks('zh')), 'pypinyin' in sys.modules]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", f"import json; {script}"], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == [list(expected), False]


def test_title_keys_of_the_wrong_shape_make_the_cache_a_miss(
    datasets_copy: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    expected = _as_seen(_load(datasets_copy, cache))
    stored = json.loads((cache / FILE_NAME).read_bytes())
    title = next(iter(stored["titleKeys"]))
    stored["titleKeys"][title] = [[["1", "zhong", 1]], title]
    (cache / FILE_NAME).write_text(json.dumps(stored), "utf-8")
    reloaded = _load(datasets_copy, cache)
    assert _as_seen(reloaded) == expected
    assert reloaded.title_keys[title] == title_sort_keys([title], "zh")[0]
