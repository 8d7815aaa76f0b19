"""docs/architecture.md opens with the tree of packages and subpackages, one line for each, and
the tree matches the code: every package is listed, and every listed one exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("gateway", "adapters", "catalog", "policies")
#: Folders of data, not code: the Alembic revisions, the pages' assets and templates.
NOT_PACKAGES = ("gateway/storage/migrations/versions", "gateway/static", "gateway/templates")
#: One line of the tree: the folder (relative to the repository, ending in /), two spaces or
#: more, and what it holds.
TREE_LINE = re.compile(r"(?P<folder>[a-z_]+(?:/[a-z_]+)*/) {2,}(?P<holds>\S.*)")


def tree_block() -> list[str]:
    """The lines of the first fenced block, which must come before the first section."""
    text = DOC.read_text("utf-8")
    opening = text.split("\n## ", 1)[0]
    fenced = re.search(r"^```[^\n]*\n(.*?)^```", opening, re.S | re.M)
    assert fenced, "docs/architecture.md does not open with the tree of packages"
    return fenced.group(1).splitlines()


def listed_folders() -> list[str]:
    folders = []
    for line in tree_block():
        shape = TREE_LINE.fullmatch(line.rstrip())
        assert shape, f"not a tree line (folder/, two spaces, what it holds): {line!r}"
        folders.append(shape["folder"].rstrip("/"))
    return folders


def code_packages() -> set[str]:
    """Every folder of the four packages with an __init__.py, data folders aside."""
    found = set()
    for package in PACKAGES:
        for init in (ROOT / package).rglob("__init__.py"):
            folder = init.parent.relative_to(ROOT).as_posix()
            if "__pycache__" not in folder and not folder.startswith(NOT_PACKAGES):
                found.add(folder)
    return found


def test_every_package_is_in_the_tree() -> None:
    missing = code_packages() - set(listed_folders())
    assert not missing, f"packages missing from the tree in docs/architecture.md: {missing}"


def test_every_folder_in_the_tree_is_a_package() -> None:
    stale = set(listed_folders()) - code_packages()
    assert not stale, f"the tree in docs/architecture.md lists what is not a package: {stale}"


def test_each_package_has_one_line() -> None:
    folders = listed_folders()
    assert len(folders) == len(set(folders)), sorted(f for f in folders if folders.count(f) > 1)
