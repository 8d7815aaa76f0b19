"""The API contract (docs/api.md): each operation is declared once, next to its view, as an
:class:`Operation` — what it does, the scope it needs, its parameters, its body, its answers and
the problems it answers with. The same declaration checks the request (:meth:`Body.read`, the
names of :attr:`Operation.query_names`) and produces /openapi.json: the document walks the app's
routes and reads the declaration each view carries (gateway/http/openapi/document.py).

Schemas, parameters and headers that the document publishes under a name are
:class:`Component` values; a declaration holds them where the document shows a ``$ref``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import jsonschema
from flask import request

from catalog.validation import ValidationIssue, schema_error_issues
from gateway.core.problems import Problem
from gateway.core.strictjson import StrictJSONError, loads

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html"
STRING: Mapping[str, Any] = {"type": "string"}
NULLABLE_STRING: Mapping[str, Any] = {"type": ["string", "null"]}

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True, eq=False)
class Component:
    """A schema, parameter or header /openapi.json publishes under ``components/<kind>/<name>``;
    where a declaration holds it, the document refers to it."""

    kind: Literal["schemas", "parameters", "headers"]
    name: str
    value: Mapping[str, Any]

    @property
    def ref(self) -> dict[str, str]:
        return {"$ref": f"#/components/{self.kind}/{self.name}"}


def schema(name: str, value: Mapping[str, Any]) -> Component:
    return Component("schemas", name, value)


def parameter(name: str, value: Mapping[str, Any]) -> Component:
    return Component("parameters", name, value)


def header(name: str, description: str, value: Mapping[str, Any] = STRING) -> Component:
    return Component("headers", name, {"description": description, "schema": dict(value)})


def obj(
    properties: Mapping[str, Any], required: Iterable[str] = (), **extra: Any
) -> dict[str, Any]:
    """An object schema with these properties."""
    out: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def list_of(items: Any, meta: Any) -> dict[str, Any]:
    """A list answer: ``data`` (the items) and ``meta``."""
    return obj({"data": {"type": "array", "items": items}, "meta": meta}, ["data", "meta"])


def query(name: str, value: Mapping[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    """A query parameter."""
    return {"name": name, "in": "query", "description": description, "schema": dict(value)} | extra


def path(name: str, description: str, value: Mapping[str, Any] = STRING) -> dict[str, Any]:
    """A path parameter (each path argument of a route is one)."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": dict(value),
    }


def ok(description: str, value: Any, media: str = JSON) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """The 200 answer: a description and its body's schema."""
    return {"200": (description, {media: value})}


# -- checking a body against its schema --------------------------------------------------------

# JSON Schema's "integer" takes 1.0; a JSON body's integers are written as integers.
_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPES)
#: Compiled validators by schema; each keeps its schema alive, so that no other object can take
#: its id.
_VALIDATORS: dict[int, tuple[Mapping[str, Any], jsonschema.protocols.Validator]] = {}
#: jsonschema's wording for sizes repeats the value; these say the limit instead.
_LIMITS = {
    "maxLength": "at most {} characters",
    "maxItems": "at most {} items",
    "minItems": "at least {} item(s)",
    "maxProperties": "at most {} members",
}


def _worded(issue: ValidationIssue, error: jsonschema.ValidationError) -> ValidationIssue:
    if error.validator in _LIMITS:
        return ValidationIssue(
            issue.path, _LIMITS[str(error.validator)].format(error.validator_value)
        )
    if error.validator == "type":
        return ValidationIssue(issue.path, f"must be of type {error.validator_value}")
    return issue


def _member(issue_path: str, messages: Mapping[str, str]) -> ValidationIssue | None:
    """The issue as ``messages`` words it for the top-level member it lies in, if they do."""
    for name, message in messages.items():
        at = f"$.{name}"
        if issue_path == at or issue_path.startswith((f"{at}.", f"{at}[")):
            return ValidationIssue(at, message)
    return None


def schema_issues(
    value: Mapping[str, Any], body: Any, messages: Mapping[str, str] | None = None
) -> list[ValidationIssue]:
    """What is wrong with ``body`` under the JSON Schema ``value`` (Draft 2020-12), each issue at
    its JSON path, in path order. ``messages``: top-level member → the words for anything wrong
    in it, where a rule of the API says more than jsonschema would."""
    cached = _VALIDATORS.get(id(value))
    if cached is None:
        cached = _VALIDATORS[id(value)] = (value, _Validator(dict(value)))
    validator = cached[1]
    issues: list[ValidationIssue] = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path))):
        found = schema_error_issues(error, unexpected=lambda parts: "unknown property")
        for issue in found:
            issues.append(_member(issue.path, messages or {}) or _worded(issue, error))
    return list(dict.fromkeys(issues))


def refused(detail: str, errors: list[dict[str, str]]) -> Problem:
    """A validation problem whose detail names the fields at fault too (the errors list each)."""
    named = "; ".join(f"{e['path'].removeprefix('$.')}: {e['message']}" for e in errors[:3])
    return Problem("validation-failed", detail=f"{detail} ({named})", errors=errors)


@dataclass(frozen=True, slots=True)
class Body:
    """An operation's request body: its schema (a component /openapi.json publishes) and how a
    body that breaks it is refused."""

    schema: Component
    media_type: str = JSON
    #: False: an empty request stands for ``{}``.
    required: bool = True
    #: The detail of the 400 that refuses a body breaking the schema.
    refused: str = "the body is not valid"
    #: The detail of the 415 that refuses a body of another media type.
    unsupported: str = "send a JSON body (application/json)"
    #: Top-level member → the words for anything wrong in it (see :func:`schema_issues`).
    messages: Mapping[str, str] = field(default_factory=dict)

    def parse(self) -> dict[str, Any]:
        """The request's JSON object, not yet checked against the schema: a 415 for another
        media type, a 400 for malformed JSON or a body that is not an object."""
        if not self.required and not request.content_length:
            return {}
        if request.mimetype != self.media_type:
            raise Problem("unsupported-media-type", detail=self.unsupported)
        try:
            body = loads(request.get_data(cache=False))
        except StrictJSONError as exc:
            raise Problem(
                "invalid-request", detail=str(exc), errors=[{"path": "$", "message": str(exc)}]
            ) from None
        if not isinstance(body, dict):
            raise Problem(
                "validation-failed",
                detail="the body must be a JSON object",
                errors=[{"path": "$", "message": "must be an object"}],
            )
        return body

    def issues(self, body: Any) -> list[dict[str, str]]:
        """What is wrong with ``body`` under the schema, field by field."""
        found = schema_issues(self.schema.value, body, self.messages)
        return [{"path": i.path, "message": i.message} for i in found]

    def read(self) -> dict[str, Any]:
        """The request's body, checked against the schema: a 400 naming each field otherwise."""
        body = self.parse()
        errors = self.issues(body)
        if errors:
            raise refused(self.refused, errors)
        return body


#: status → (description, media type → schema); no media types: no body.
Responses = Mapping[str, tuple[str, Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Operation:
    """The declaration of one route: what it does, who may call it, what it takes and answers.
    Used as a decorator, it marks the view it declares."""

    summary: str
    #: Key of the tag (gateway/http/openapi/info.py TAGS), or a tag name of its own.
    tag: str
    #: The stable operationId a generated client names its function after.
    operation_id: str | None = None
    description: str = ""
    #: OAuth scope the bearer token must carry; None: public.
    scope: str | None = None
    #: The token, introspection and revocation endpoints authenticate the client itself.
    client_auth: bool = False
    #: Path, query and header parameters (a path argument without one is described by its
    #: converter).
    parameters: tuple[Mapping[str, Any] | Component, ...] = ()
    body: Body | None = None
    responses: Responses = field(default_factory=dict)
    #: Statuses answered with a problem (components/responses/Problem<status>).
    problems: tuple[int, ...] = ()
    #: False where errors are not problems: RFC 6749 errors, the pages' HTML error pages.
    default_problem: bool = True
    #: Headers every answer carries.
    answer_headers: tuple[Component, ...] = ()
    #: Other media types each answer with a body may be had in (by Accept), with their schema.
    alternatives: Mapping[str, Any] = field(default_factory=dict)
    #: A list whose answer links its other pages (RFC 8288 Link).
    links_pages: bool = False
    #: The query parameters the operation takes: any other is refused. Derived from
    #: ``parameters`` once, since a view checks it on every request.
    query_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = frozenset(
            p["name"] for p in map(parameter_object, self.parameters) if p["in"] == "query"
        )
        object.__setattr__(self, "query_names", names)

    def __call__(self, view: View) -> View:
        setattr(view, _DECLARATION, self)
        return view


_DECLARATION = "api_operation"


def parameter_object(item: Mapping[str, Any] | Component) -> Mapping[str, Any]:
    return item.value if isinstance(item, Component) else item


def declaration(view: Callable[..., Any] | None) -> Operation | None:
    """The operation a view was declared as, if it was."""
    found = getattr(view, _DECLARATION, None)
    return found if isinstance(found, Operation) else None
