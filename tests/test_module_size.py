"""Modules stay short enough to read in one sitting: one over 400 lines says at its top why it
is long (a table of data, one pass that must stay together), so length is a decision."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "adapters", "catalog", "policies")
LIMIT = 400
SAYS_WHY = re.compile(r"\b(long|length)\b", re.I)


def long_modules_without_a_reason(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "versions" in path.parts:  # migrations are written once and never read as a whole
                continue
            text = path.read_text("utf-8")
            lines = text.count("\n")
            if lines <= LIMIT:
                continue
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if not SAYS_WHY.search(docstring):
                found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_a_long_module_says_why_at_its_top() -> None:
    assert long_modules_without_a_reason(ROOT) == []


def test_a_long_module_without_a_reason_is_found(tmp_path: Path) -> None:
    (tmp_path / "gateway").mkdir()
    (tmp_path / "gateway" / "big.py").write_text('"""Many things."""\n' + "x = 1\n" * 450)
    (tmp_path / "gateway" / "table.py").write_text(
        '"""A table of data: its length is its content."""\n' + "x = 1\n" * 450
    )
    assert long_modules_without_a_reason(tmp_path) == ["gateway/big.py: 451 lines"]
