"""The platform-scale catalogue generator: what it writes loads as a catalogue, for any seed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.platform_catalog import main, write_platform_catalog
from catalog import load_catalog_directory
from catalog.loader import default_datasets_directory

SHIPPED = sorted(p.name for p in default_datasets_directory().glob("*.yaml"))


def test_a_generated_catalogue_loads_and_covers_every_category(tmp_path: Path) -> None:
    write_platform_catalog(tmp_path, datasets=300, seed=7)
    catalog = load_catalog_directory(tmp_path)
    assert len(catalog) == 300
    per_category = Counter(dataset.category for dataset in catalog)
    assert set(per_category) == {c.id for c in catalog.taxonomy.categories()}
    # The shipped entries are there as they are: the node configurations name them.
    for name in SHIPPED:
        written = (tmp_path / "datasets" / name).read_bytes()
        assert written == (default_datasets_directory() / name).read_bytes()


def test_a_catalogue_smaller_than_the_taxonomy_covers_as_many_categories_as_it_can(
    tmp_path: Path,
) -> None:
    write_platform_catalog(tmp_path, datasets=109, seed=1)
    catalog = load_catalog_directory(tmp_path)
    generated = [d for d in catalog if f"{d.id}.yaml" not in SHIPPED]
    assert len(generated) == 100
    assert len({d.category for d in generated}) == 100


def test_generated_entries_vary_titles_providers_regions_and_dates(tmp_path: Path) -> None:
    write_platform_catalog(tmp_path, datasets=300, seed=7)
    catalog = load_catalog_directory(tmp_path)
    generated = [d for d in catalog if f"{d.id}.yaml" not in SHIPPED]
    assert len({d.title.zh for d in generated}) == len(generated)
    assert len({d.title.en for d in generated}) == len(generated)
    assert len({d.provider.id for d in generated}) > 20
    assert len({d.provider.regions for d in generated}) > 20
    assert len({d.modified for d in generated}) > 100
    for dataset in generated:
        category = catalog.taxonomy.category(dataset.category)
        assert category is not None
        assert category.label.zh in dataset.title.zh
        assert category.label.en in dataset.title.en
        assert dataset.id.startswith(f"{category.id}-")


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    write_platform_catalog(tmp_path / "a", datasets=40, seed=3)
    write_platform_catalog(tmp_path / "b", datasets=40, seed=3)
    write_platform_catalog(tmp_path / "c", datasets=40, seed=4)

    def files(root: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((root / "datasets").glob("*.yaml"))}

    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")


def test_fewer_datasets_than_shipped_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["/nonexistent", "--datasets", "3"])
    assert exited.value.code == 2
    assert "at least the 9 shipped datasets" in capsys.readouterr().err
