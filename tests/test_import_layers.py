"""The import layers of docs/architecture.md hold: the contracts in pyproject.toml's
[tool.importlinter], checked by import-linter over the import graph of the four packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gateway", "adapters", "catalog", "policies")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter with root's pyproject.toml over root's own copy of the packages (not
    whichever checkout the environment has installed), without a cache left behind."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=os.environ | {"PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_packages_keep_their_import_layers() -> None:
    checked = lint_imports(ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 broken" in checked.stdout, checked.stdout


def test_a_room_importing_one_above_it_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    # core, the bottom room, reaching up to the HTTP layer; and catalog reaching into gateway.
    (tmp_path / "gateway" / "core" / "upward.py").write_text(
        "from gateway.http.api import common\n", "utf-8"
    )
    (tmp_path / "catalog" / "upward.py").write_text("import gateway.core.ids\n", "utf-8")
    checked = lint_imports(tmp_path)
    assert checked.returncode != 0, checked.stdout
    assert "gateway.core.upward -> gateway.http.api.common" in checked.stdout, checked.stdout
    assert "catalog.upward -> gateway.core.ids" in checked.stdout, checked.stdout
    assert "2 broken" in checked.stdout, checked.stdout
