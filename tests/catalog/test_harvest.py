"""Harvesting without the network: an entry written out as the meta-schema has it loads again
unchanged, export pages are read as Hydra and CKAN write them, and the harvest folder loads
beside the catalogue's own entries only when no id is published twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from rdflib import Graph

from catalog import Catalog, CatalogError, I18n
from catalog.entries import entry_document
from catalog.harvest import (
    HarvestedEntry,
    content_hash,
    merge_harvested,
    read_export_page,
    same_origin,
    source_key,
    with_harvested,
    write_source_folder,
)
from catalog.loader import default_datasets_directory, parse_dataset
from catalog.provenance import Provenance

SOURCE = "http://district.test/v1/catalog/dcat"


def provenance(dataset_id: str, entry: object) -> Provenance:
    return Provenance(
        source=SOURCE,
        publisher=I18n("区数据局", "District data bureau"),
        iri=f"http://district.test/v1/catalog/datasets/{dataset_id}",
        harvested="2026-12-04T10:00:00Z",
        modified="2026-11-24",
        content_hash=content_hash(entry),
    )


def renamed(catalog: Catalog, dataset_id: str) -> dict[str, object]:
    entry = entry_document(catalog.datasets["patent-grants"])
    return {**entry, "id": dataset_id}


def test_an_entry_document_is_the_entry_as_written(catalog: Catalog) -> None:
    for path in sorted(default_datasets_directory().glob("*.yaml")):
        written = yaml.safe_load(path.read_text("utf-8"))
        assert entry_document(catalog.datasets[path.stem]) == written, path.name


def test_an_entry_document_loads_again_as_the_same_dataset(catalog: Catalog) -> None:
    for dataset in catalog:
        again = parse_dataset(
            entry_document(dataset), f"{dataset.id}.yaml", regions=catalog.regions
        )
        assert entry_document(again) == entry_document(dataset)


def test_harvested_entries_load_beside_the_own_ones_with_their_provenance(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = renamed(catalog, "district-patents")
    harvested = HarvestedEntry(entry, provenance("district-patents", entry))
    write_source_folder(tmp_path, source_key(SOURCE), {"district-patents": harvested})
    merged = with_harvested(catalog, tmp_path)
    assert len(merged) == len(catalog) + 1
    assert merged.datasets["district-patents"].provenance == harvested.provenance
    assert merged.datasets["patent-grants"].provenance is None
    assert list(merged.datasets) == sorted(merged.datasets)


def test_a_harvested_id_that_is_also_an_own_entry_is_left_out_for_the_own_one(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = renamed(catalog, "patent-grants")
    harvested = HarvestedEntry(entry, provenance("patent-grants", entry))
    write_source_folder(tmp_path, source_key(SOURCE), {"patent-grants": harvested})
    merged = merge_harvested(catalog, tmp_path)
    assert merged.catalog.datasets["patent-grants"] is catalog.datasets["patent-grants"]
    assert len(merged.catalog) == len(catalog)
    (issue,) = merged.left_out
    assert issue.path == "$.id" and issue.file.endswith("/patent-grants.json")


def test_an_id_two_harvested_sources_share_is_an_issue(catalog: Catalog, tmp_path: Path) -> None:
    entry = renamed(catalog, "district-patents")
    harvested = HarvestedEntry(entry, provenance("district-patents", entry))
    for source in (SOURCE, f"{SOURCE}?perPage=5"):
        write_source_folder(tmp_path, source_key(source), {"district-patents": harvested})
    with pytest.raises(CatalogError) as caught:
        with_harvested(catalog, tmp_path)
    (issue,) = caught.value.issues
    assert issue.path == "$.id" and "is also in" in issue.message


def test_a_file_of_the_harvest_folder_that_is_no_harvested_entry_is_an_issue(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = tmp_path / source_key(SOURCE)
    folder.mkdir()
    (folder / "broken.json").write_text(json.dumps({"entry": {}}), "utf-8")
    with pytest.raises(CatalogError, match="not a harvested entry"):
        with_harvested(catalog, tmp_path)


def test_a_harvest_folder_is_replaced_whole(catalog: Catalog, tmp_path: Path) -> None:
    key = source_key(SOURCE)
    entries = {}
    for dataset_id in ("district-a", "district-b"):
        entry = renamed(catalog, dataset_id)
        entries[dataset_id] = HarvestedEntry(entry, provenance(dataset_id, entry))
    write_source_folder(tmp_path, key, entries)
    write_source_folder(tmp_path, key, {"district-b": entries["district-b"]})
    assert [p.name for p in tmp_path.iterdir()] == [key]
    assert [p.name for p in (tmp_path / key).iterdir()] == ["district-b.json"]


def test_an_export_page_is_read_as_ckan_writes_it() -> None:
    turtle = """
        @prefix dcat: <http://www.w3.org/ns/dcat#> .
        @prefix dct: <http://purl.org/dc/terms/> .
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
        <http://district.test/catalog> a dcat:Catalog ; dct:publisher <http://district.test/org> .
        <http://district.test/org> foaf:name "区数据局"@zh, "District data bureau"@en .
        <http://district.test/d/1> a dcat:Dataset ; dct:modified "2026-01-02" .
        <http://district.test/dcat?page=1> a hydra:PagedCollection ;
            hydra:nextPage "http://district.test/dcat?page=2" .
    """
    page = read_export_page(Graph().parse(data=turtle, format="turtle"))
    assert [(d.iri, d.modified) for d in page.datasets] == [
        ("http://district.test/d/1", "2026-01-02")
    ]
    assert page.publisher == I18n("区数据局", "District data bureau")
    assert page.next_page == "http://district.test/dcat?page=2"


def test_a_source_may_only_point_at_its_own_server() -> None:
    assert same_origin(SOURCE, "http://district.test/v1/catalog/datasets/a")
    assert not same_origin(SOURCE, "http://169.254.169.254/latest/meta-data")
    assert not same_origin(SOURCE, "https://district.test/v1/catalog/datasets/a")
    assert not same_origin(SOURCE, "http://district.test:8080/v1/catalog/datasets/a")


def test_two_exports_on_one_server_are_two_sources() -> None:
    other = f"{SOURCE}?perPage=50"
    assert source_key(SOURCE) != source_key(other)
    assert source_key(SOURCE).startswith("district.test-")
