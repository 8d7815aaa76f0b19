"""Problems found in catalogue files, each located by file and JSON path."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def json_path(parts: Iterable[object]) -> str:
    """``$.a.b[0]`` for a sequence of member names and array indexes.

    Names that are not plain identifiers (spaces, dots, quotes) are written ``['like this']``.
    """
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_NAME.match(str(part)):
            out += f".{part}"
        else:
            escaped = str(part).replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


@dataclass(frozen=True, slots=True)
class CatalogIssue:
    """One problem in one catalogue file, located by JSON path."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class CatalogError(Exception):
    """The catalogue cannot be loaded; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: Iterable[CatalogIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


# libyaml's parser when it is installed (much faster), the pure-Python one otherwise.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """The document in ``text``, read with YAML's safe loader (plain data only, no objects)."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 — a safe loader


def yaml_problem(exc: yaml.YAMLError) -> str:
    """'not valid YAML (line N): problem' without the parser's multi-line excerpt."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "syntax error"
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"not valid YAML{where}: {problem}"


def read_yaml_file(path: Path) -> Any:
    """The document in a catalogue file; CatalogError (located at ``$``) when it cannot be read
    or is not YAML."""
    try:
        return parse_yaml(path.read_text("utf-8"))
    except OSError as exc:
        issue = CatalogIssue(path.name, "$", f"cannot be read: {exc.strerror}")
        raise CatalogError([issue]) from None
    except yaml.YAMLError as exc:
        raise CatalogError([CatalogIssue(path.name, "$", yaml_problem(exc))]) from None
