"""Fixtures: the shipped catalogue, and writable copies of it for broken-entry tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog import Catalog, load_catalog
from catalog.loader import default_datasets_directory

Mutation = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def datasets_copy(tmp_path: Path) -> Path:
    """A copy of the shipped dataset entries that a test may break."""
    target = tmp_path / "datasets"
    shutil.copytree(default_datasets_directory(), target)
    return target


@pytest.fixture
def rewrite_entry(datasets_copy: Path) -> Callable[[str, Mutation], Path]:
    """Change one entry of the copy: load it, apply ``mutate``, write it back as YAML."""

    def rewrite(dataset_id: str, mutate: Mutation) -> Path:
        path = datasets_copy / f"{dataset_id}.yaml"
        document = yaml.safe_load(path.read_text("utf-8"))
        mutate(document)
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return rewrite
