"""docs/security.md names, for every claim and every class of defect, the tests that guard it:
each test it names exists, so the page cannot point at a test that was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PAGE = TESTS.parent / "docs" / "security.md"
# `gateway/test_x.py`, `gateway/test_x.py::test_y`, and `::test_z` for the file named before it.
REFERENCE = re.compile(r"`((?:[a-z_]+/)*test_[a-z0-9_]+\.py)?(?:::(test_[a-z0-9_]+))?`")


def _references() -> list[tuple[str, str | None]]:
    found = []
    for line in PAGE.read_text("utf-8").splitlines():
        current = None
        for match in REFERENCE.finditer(line):
            current = match.group(1) or current
            if current is not None:
                found.append((current, match.group(2)))
    return found


def test_every_test_the_security_page_names_exists() -> None:
    references = _references()
    assert len(references) > 50
    missing = []
    for file, name in references:
        path = TESTS / file
        if not path.is_file():
            missing.append(file)
        elif name is not None and not re.search(
            rf"^(async )?def {name}\(", path.read_text("utf-8"), re.M
        ):
            missing.append(f"{file}::{name}")
    assert not missing, missing
