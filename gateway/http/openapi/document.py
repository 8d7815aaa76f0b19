"""OpenAPI 3.1 descriptions of the gateway
(docs/api.md#the-openapi-description-and-generated-clients): ``/openapi.json``, assembled from
the routes the app registers, and one document per dataset, from the catalogue.

Every rule of ``app.url_map`` becomes an operation, so a new route cannot be left out: a view
declared with an :class:`~gateway.http.contract.Operation` (its parameters, body, scope, answers
and problems, next to the view) is described by its declaration; any other route still appears,
described by its view's docstring. A dataset's document holds its typed operations and the
components of gateway/http/openapi/datasets.py. In both, the components are those the
operations hold; the purpose vocabulary and the largest page come from the policies the
document is made for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask

from catalog import Dataset
from gateway.http.api.data_contract import LIMIT, PURPOSE, QUERY
from gateway.http.caching import public_cacheable
from gateway.http.contract import Component, Operation, declaration, parameter_object, path
from gateway.http.openapi import components, datasets, info
from policies import Policies

OPENAPI_VERSION = "3.1.0"
#: HTTP methods every Flask rule answers by itself; they are not operations of their own.
_IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
_RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": "integer", "float": "number"}


def openapi_path(rule: str) -> tuple[str, dict[str, str]]:
    """A Werkzeug rule as an OpenAPI path, and each path argument's converter."""
    converters: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        converters[match["name"]] = match["converter"] or "default"
        return "{" + match["name"] + "}"

    return _RULE_ARGUMENT.sub(replace, rule), converters


def declared_operations(app: Flask) -> dict[str, Operation]:
    """endpoint → the operation its view is declared as, for every declared view of ``app``."""
    found = {endpoint: declaration(view) for endpoint, view in app.view_functions.items()}
    return {endpoint: op for endpoint, op in found.items() if op is not None}


def _fallback(app: Flask, endpoint: str) -> Operation:
    """A route without a declaration: described by its view's docstring."""
    view = app.view_functions.get(endpoint)
    doc = (getattr(view, "__doc__", None) or "").strip()
    summary = doc.splitlines()[0] if doc else endpoint
    tag = endpoint.split(".")[0] if "." in endpoint else "other"
    return Operation(summary, tag, description=doc, responses={"200": ("Success.", {})})


def _operation_id(operation: Operation, endpoint: str, method: str, taken: set[str]) -> str:
    candidate = operation.operation_id
    if candidate is None:
        words = re.split(r"[^A-Za-z0-9]+", endpoint)
        candidate = words[0] + "".join(w.capitalize() for w in words[1:] if w)
    if candidate in taken:
        candidate += method.capitalize()
    taken.add(candidate)
    return candidate


def _path_parameters(operation: Operation, converters: Mapping[str, str]) -> list[Any]:
    """Each path argument's parameter: as declared, else as its converter says."""
    declared = {
        parameter_object(p)["name"]: p
        for p in operation.parameters
        if parameter_object(p)["in"] == "path"
    }
    return [
        declared.get(name)
        or path(name, f"The {name}.", {"type": _CONVERTER_TYPES.get(converter, "string")})
        for name, converter in converters.items()
    ]


def _security(operation: Operation, out: dict[str, Any]) -> str:
    """The operation's security requirement into ``out``; what its description adds."""
    if operation.scope:
        out["security"] = [{"oauth2": [operation.scope]}]
        return f"Scope: `{operation.scope}`."
    if operation.client_auth:
        # Either HTTP Basic (client_secret_basic) or no header at all: client_secret_post and
        # private_key_jwt authenticate with fields of the form body. OpenAPI has no security
        # scheme for body fields, so the body's schema names them and x-client-authentication
        # says which fields belong to which method.
        out["security"] = [{"clientSecretBasic": []}, {}]
        out["x-client-authentication"] = info.CLIENT_AUTHENTICATION
        return info.CLIENT_AUTHENTICATION_TEXT
    out["security"] = []
    return ""


def _responses(operation: Operation, *, cacheable: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (text, content) in operation.responses.items():
        response: dict[str, Any] = {"description": text}
        if content:
            response["content"] = {media: {"schema": value} for media, value in content.items()}
        if operation.answer_headers:
            response["headers"] = {h.name: h for h in operation.answer_headers}
        if "content" in response:
            response["content"] |= {
                media: {"schema": value} for media, value in operation.alternatives.items()
            }
        if status == "200":
            extra = [*(components.CACHE_HEADERS if cacheable else ())]
            if operation.links_pages:
                extra.append(components.LINK)
            if extra:
                response["headers"] = response.get("headers", {}) | {h.name: h for h in extra}
        responses[status] = response
    if cacheable:
        responses["304"] = {
            "description": "Not modified: the representation named by If-None-Match (or "
            "older than If-Modified-Since) is still current.",
            "headers": {h.name: h for h in components.CACHE_HEADERS},
        }
    for problem in operation.problems:
        responses[str(problem)] = {"$ref": f"#/components/responses/Problem{problem}"}
    if operation.default_problem:
        responses["default"] = {"$ref": "#/components/responses/Problem"}
    return responses or {"200": {"description": "Success."}}


def render(
    operation: Operation,
    operation_id: str,
    path_parameters: Iterable[Any] | None = None,
    *,
    cacheable: bool = False,
) -> dict[str, Any]:
    """The operation object of one declaration (its components not yet resolved). A route's
    ``path_parameters`` come first, in the route's order; without them the parameters are as
    declared."""
    out: dict[str, Any] = {
        "tags": [info.tag_name(operation.tag)],
        "summary": operation.summary,
        "operationId": operation_id,
    }
    description = f"{operation.description}\n\n{_security(operation, out)}".strip()
    if description:
        out["description"] = description
    parameters = list(operation.parameters)
    if path_parameters is not None:
        others = (p for p in parameters if parameter_object(p)["in"] != "path")
        parameters = [*path_parameters, *others]
    if parameters:
        out["parameters"] = parameters
    if operation.body is not None:
        out["requestBody"] = {
            "required": operation.body.required,
            "content": {operation.body.media_type: {"schema": operation.body.schema}},
        }
    out["responses"] = _responses(operation, cacheable=cacheable)
    return out


class _Components:
    """The components a document's declarations hold, collected as they are met."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {"schemas": {}, "parameters": {}, "headers": {}}
        self._declared: dict[tuple[str, str], Component] = {}

    def add(self, component: Component) -> None:
        key = (component.kind, component.name)
        known = self._declared.get(key)
        if known is component:
            return
        if known is not None:
            raise ValueError(f"two declarations of components/{component.kind}/{component.name}")
        self._declared[key] = component
        self.found[component.kind][component.name] = None  # its place, before what it holds
        self.found[component.kind][component.name] = self.resolve(component.value)

    def resolve(self, node: Any) -> Any:
        """``node`` with each component it holds replaced by a reference to it."""
        if isinstance(node, Component):
            self.add(node)
            return node.ref
        if isinstance(node, Mapping):
            return {key: self.resolve(value) for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            return [self.resolve(item) for item in node]
        return node


def _limit_schema(policies: Policies, max_page_size: int | None) -> dict[str, Any]:
    """``limit``: at most the largest page of any tier (each caller's own tier may cap lower)."""
    pages = [t.max_page_size for t in policies.tiers.values()]
    largest = max(pages) if pages else 1
    if max_page_size is not None:
        largest = min(largest, max_page_size)
    return {"type": "integer", "minimum": 1, "maximum": largest}


def _purpose_schema(policies: Policies) -> dict[str, Any]:
    labels = "; ".join(f"`{p.id}`: {p.en} ({p.zh})" for p in policies.purposes.values())
    return {
        "type": "string",
        "enum": list(policies.purposes),
        "description": f"The purpose vocabulary (policies/purposes.yaml). {labels}.",
    }


def _route_operations(app: Flask) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every route the app registers, static files aside."""
    taken: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        endpoint = rule.endpoint
        if endpoint == "static" or endpoint.endswith(".static"):
            continue
        route, converters = openapi_path(rule.rule)
        operation = declaration(app.view_functions.get(endpoint)) or _fallback(app, endpoint)
        blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
        cacheable = public_cacheable in app.after_request_funcs.get(blueprint, [])
        for method in sorted((rule.methods or set()) - _IMPLICIT_METHODS):
            yield (
                route,
                method.lower(),
                render(
                    operation,
                    _operation_id(operation, endpoint, method, taken),
                    _path_parameters(operation, converters),
                    cacheable=cacheable,
                ),
            )


def _document(
    document_info: dict[str, Any],
    base: str,
    policies: Policies,
    limit: Mapping[str, Any],
    tags: list[dict[str, str]],
    paths: Mapping[str, dict[str, Any]],
    own: Iterable[Component] = (),
) -> dict[str, Any]:
    """A complete OpenAPI 3.1 document of these operations: the components they use (and
    ``own``), the problem answers and the security schemes, with what depends on the policies
    (the purpose vocabulary, the largest page)."""
    found = _Components()
    resolved_paths = found.resolve(dict(sorted(paths.items())))
    for component in own:
        found.add(component)
    responses = found.resolve(components.problem_responses())
    schemas, parameters = found.found["schemas"], found.found["parameters"]
    schemas[PURPOSE.name] = _purpose_schema(policies)
    if LIMIT.name in parameters:
        parameters[LIMIT.name] = {**parameters[LIMIT.name], "schema": dict(limit)}
    if QUERY.name in schemas:
        query = schemas[QUERY.name]
        query["properties"] = {
            **query["properties"],
            "limit": {**query["properties"]["limit"], "maximum": limit["maximum"]},
        }
    return {
        "openapi": OPENAPI_VERSION,
        "info": document_info,
        "servers": [{"url": base}],
        "tags": tags,
        "paths": resolved_paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "parameters": parameters,
            "headers": found.found["headers"],
            "securitySchemes": info.security_schemes(base),
        },
        # Purposes are part of every data request; a client generator can offer them.
        "x-purposes": [
            {"id": p.id, "label": {"zh": p.zh, "en": p.en}} for p in policies.purposes.values()
        ],
    }


def openapi_document(
    app: Flask, policies: Policies, base_url: str, *, max_page_size: int | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``: every route it registers (static files aside),
    datasets reached by id. It does not grow with the catalogue: each dataset's typed
    operations are in its own document (:func:`dataset_document`), which this one points to.
    ``max_page_size``: the gateway's own cap on a page, below the tiers' when it is lower."""
    base = base_url.rstrip("/")
    paths: dict[str, dict[str, Any]] = {}
    for route, method, operation in _route_operations(app):
        paths.setdefault(route, {})[method] = operation
    document = _document(
        info.info(base),
        base,
        policies,
        _limit_schema(policies, max_page_size),
        info.tags(),
        paths,
    )
    document["x-dataset-documents"] = info.dataset_documents(base)
    return document


def dataset_document(
    dataset: Dataset, policies: Policies, base_url: str, *, max_page_size: int | None = None
) -> dict[str, Any]:
    """One dataset's OpenAPI 3.1 document, complete on its own: the typed operations of its
    records (its filters as parameters, its query body, its key lookup, CSV by Accept) and the
    schemas of its records, with the gateway's security schemes and problem answers. A dataset
    that is not shared has its record schema and no operation."""
    base = base_url.rstrip("/")
    limit = _limit_schema(policies, max_page_size)
    own = datasets.dataset_components(dataset, limit)
    tags: list[dict[str, str]] = []
    paths: dict[str, dict[str, Any]] = {}
    if dataset.share_type != "none":
        tags.append(datasets.dataset_tag(dataset))
        by_name = {c.name: c for c in own}
        for route, (method, typed) in datasets.dataset_operations(dataset, by_name).items():
            paths.setdefault(route, {})[method] = render(typed, str(typed.operation_id))
    return _document(info.dataset_info(dataset, base), base, policies, limit, tags, paths, own)
