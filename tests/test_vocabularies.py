"""The gateway's vocabularies — scopes, client authentication methods, share types, problem
types — are each written down once: every other place reads them from their one module, so a
new scope or method cannot be known to the authorisation server and missing from the views or
/openapi.json."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog import SHARE_TYPES
from gateway.core.problems import TYPES
from gateway.identity.auth_methods import AUTH_METHODS
from gateway.identity.scopes import SCOPE_IDS

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "catalog", "policies", "adapters")

#: vocabulary → (its words, the one module that may list them).
VOCABULARIES = {
    "scopes": (frozenset(SCOPE_IDS), "gateway/identity/scopes.py"),
    "auth methods": (frozenset(AUTH_METHODS), "gateway/identity/auth_methods.py"),
    "share types": (frozenset(SHARE_TYPES), "catalog/schema/dataset.schema.json"),
    "problem types": (frozenset(TYPES), "gateway/core/problems.py"),
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text("utf-8"))


def _strings(node: ast.AST) -> list[str]:
    """The string constants a list, tuple or set literal holds."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        elements = node.elts
    else:
        return []
    return [e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)]


@pytest.mark.parametrize("vocabulary", list(VOCABULARIES))
def test_no_list_of_a_vocabulary_is_written_outside_its_module(vocabulary: str) -> None:
    words, home = VOCABULARIES[vocabulary]
    found = []
    for module, tree in _modules():
        if module == home:
            continue
        for node in ast.walk(tree):
            named = words.intersection(_strings(node))
            if len(named) >= 2:
                found.append(f"{module}:{getattr(node, 'lineno', '?')} {sorted(named)}")
    assert found == []


def test_each_scope_id_is_written_once() -> None:
    """``data:read`` is the policies' own (their rule 2 asks for it); the others are the
    gateway's. ("admin" is also the name of a blueprint, a tag and an audit kind, so the check
    below covers it where it is a scope.)"""
    written: dict[str, list[str]] = {s: [] for s in SCOPE_IDS if ":" in s}
    for module, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in written:
                written[node.value].append(module)
    assert written == {
        "data:read": ["policies/callers.py"],
        "catalog:read": ["gateway/identity/scopes.py"],
        "audit:read": ["gateway/identity/scopes.py"],
    }


def test_no_endpoint_names_its_scope_by_a_literal() -> None:
    literals = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            given = [k.value for k in node.keywords if k.arg == "scope"]
            if name == "authenticate":
                given += node.args[:1]
            literals += [
                f"{module}:{node.lineno}"
                for value in given
                if isinstance(value, ast.Constant) and value.value in SCOPE_IDS
            ]
    assert literals == []
