"""The operations of an OpenAPI document (/openapi.json, a dataset's own) that the hostile-input
properties call (tests/gateway/test_hostile_json_properties.py): those that read a JSON body, and
those of the API that read query parameters, each with the scopes and parameters the document
gives it, and the document its references resolve in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .schema_values import resolved

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with the JSON body it reads (if it reads one)."""

    method: str
    path: str
    scopes: tuple[str, ...] | None  # None: no token needed
    parameters: tuple[Mapping[str, Any], ...]
    media_type: str | None = None
    schema: Mapping[str, Any] = field(default_factory=dict)
    #: The document the operation is in: where its schema's references resolve.
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def is_json(media_type: str) -> bool:
    """application/json or a structured-syntax +json type (RFC 6839 §3.1)."""
    essence = media_type.split(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _scopes(document: Mapping[str, Any], operation: Mapping[str, Any]) -> tuple[str, ...] | None:
    requirements = operation.get("security", document.get("security", []))
    for requirement in requirements:
        if requirement:  # {} would be "no credentials needed"
            return tuple(scope for scopes in requirement.values() for scope in scopes)
    return None


def _operations(document: Mapping[str, Any]) -> Iterator[tuple[Operation, Mapping[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if (declared := item.get(method)) is not None:
                parameters = [*shared, *declared.get("parameters", [])]
                operation = Operation(
                    method=method,
                    path=path,
                    scopes=_scopes(document, declared),
                    parameters=tuple(resolved(document, p) for p in parameters),
                    document=document,
                )
                yield operation, declared


def json_operations(document: Mapping[str, Any]) -> list[Operation]:
    """Every operation, on every method, whose request body may be JSON."""
    found = []
    for operation, declared in _operations(document):
        body = resolved(document, declared.get("requestBody", {}))
        for media_type, content in body.get("content", {}).items():
            if is_json(media_type):
                schema = content.get("schema", {})
                found.append(replace(operation, media_type=media_type, schema=schema))
    return found


def query_operations(document: Mapping[str, Any]) -> list[Operation]:
    """Every operation of the API (/v1/: pages and OAuth answer in formats of their own) that
    reads query parameters."""
    return [
        operation
        for operation, _ in _operations(document)
        if operation.path.startswith("/v1/")
        and any(p["in"] == "query" for p in operation.parameters)
    ]
