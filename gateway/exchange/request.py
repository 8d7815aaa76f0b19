"""A data request and its validation (docs/architecture.md#the-exchange-pipeline, step 3): the
purpose against the vocabulary, every filter term against the dataset's query schema, the page
size against the caller's tier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.protocol import normalise_filter
from catalog import Dataset
from gateway.core.problems import Problem
from gateway.identity.oauth.tokens import Principal
from policies import Policies

RESERVED_PARAMS = frozenset({"region", "regions", "fields", "limit", "cursor", "strict"})
MAX_FILTER_TERMS = 20


@dataclass(frozen=True, slots=True)
class DataRequest:
    """A data request as the HTTP layer received it, before any validation."""

    dataset_id: str
    purpose: str | None
    method: str
    path: str
    #: GET: the query-string filter terms (name → list of texts); POST: the JSON ``filter`` object.
    filter: Mapping[str, Any] = field(default_factory=dict)
    filter_from_query: bool = False
    fields: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    limit: int | None = None
    cursor: str | None = None
    strict: bool | None = None
    key: str | None = None
    #: The media type the answer is rendered in: JSON, or CSV (csv_records.MEDIA_TYPE).
    media_type: str = "application/json"


def invalid_at(path: str, message: str) -> Problem:
    """The 400 of a request one part of which (``path``, e.g. ``$.fields``) is wrong."""
    return Problem("validation-failed", detail=message, errors=[{"path": path, "message": message}])


def request_summary(principal: Principal, request: DataRequest) -> dict[str, Any]:
    """What the audit record's request hash is of: who asked what, as received."""
    return {
        "clientId": principal.client_id,
        "method": request.method,
        "path": request.path,
        "dataset": request.dataset_id,
        "purpose": request.purpose,
        "filter": request.filter,
        "fields": request.fields,
        "regions": request.regions,
        "limit": request.limit,
        "cursor": request.cursor,
        "strict": request.strict,
        "key": request.key,
        # The same records as CSV are a different answer (its response hash differs too).
        "mediaType": request.media_type,
    }


def valid_purpose(policies: Policies, purpose: str | None) -> str:
    """The X-Purpose header, which must name a purpose of the vocabulary."""
    accepted = sorted(policies.purposes)
    if not purpose or purpose not in policies.purposes:
        what = "missing" if not purpose else f"unknown purpose {purpose!r}"
        raise Problem(
            "purpose-required",
            detail=f"X-Purpose header {what}; accepted values: {', '.join(accepted)}",
            errors=[{"path": "$.headers.X-Purpose", "message": f"must be one of {accepted}"}],
            extra={"acceptedPurposes": accepted, "ruleId": "purpose-unknown"},
        )
    return purpose


def valid_filter(dataset: Dataset, request: DataRequest) -> dict[str, dict[str, Any]]:
    """The request's filter, normalised and checked against the dataset's query schema (a key
    lookup is an ``eq`` filter on the key field)."""
    if request.key is not None:
        raw: Mapping[str, Any] = {dataset.key_field: {"eq": request.key}}
    elif request.filter_from_query:
        raw = filter_from_query(dataset, request.filter)
    else:
        raw = request.filter
    if not isinstance(raw, Mapping):
        raise Problem(
            "validation-failed",
            detail="filter must be a JSON object",
            errors=[{"path": "$.filter", "message": "must be an object"}],
        )
    if len(raw) > MAX_FILTER_TERMS:
        raise Problem("validation-failed", detail=f"at most {MAX_FILTER_TERMS} filter terms")
    try:
        normalised = normalise_filter(raw)
    except ValueError as exc:
        raise invalid_at("$.filter", str(exc)) from None
    issues = dataset.filter_errors(normalised)
    if issues:
        if request.key is not None:
            raise Problem(
                "validation-failed",
                detail=f"{request.key!r} is not a valid {dataset.key_field}",
                errors=[{"path": "$.key", "message": i.message} for i in issues],
            )
        raise Problem(
            "validation-failed",
            detail="the filter does not fit the dataset's query schema",
            errors=[{"path": i.path, "message": i.message} for i in issues],
        )
    return normalised


def filter_from_query(dataset: Dataset, args: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``name=value`` is eq, ``name.op=value`` another operator. ``in`` takes its list in both
    forms of OpenAPI's ``style: form``: repeated (``explode: true``, what client generators
    send) or one comma-separated value (``explode: false``), or a mix of the two."""
    out: dict[str, dict[str, Any]] = {}
    errors = []
    for param, values in args.items():
        name, _, op = param.partition(".")
        op = op or "eq"
        path = f"$.query.{param}"
        if name not in dataset.fields:
            errors.append({"path": path, "message": f"unknown parameter {param!r}"})
            continue
        if op != "in" and len(values) != 1:
            errors.append({"path": path, "message": "give each filter parameter once"})
            continue
        try:
            if op == "in":
                parts = [p for text in values for p in text.split(",") if p != ""]
                value: Any = [dataset.coerce(name, p) for p in parts]
            elif op == "prefix":
                value = values[0]
            else:
                value = dataset.coerce(name, values[0])
        except ValueError as exc:
            errors.append({"path": path, "message": str(exc)})
            continue
        out.setdefault(name, {})[op] = value
    if errors:
        raise Problem(
            "validation-failed",
            detail="the query parameters do not fit the dataset's query schema",
            errors=errors,
        )
    return out


def page_limit(requested: int | None, *, cap: int, default: int) -> int:
    """How many records the page may carry: what was asked for (at least 1), else the default,
    never more than ``cap``."""
    if requested is None:
        return min(default, cap)
    if requested < 1:
        raise Problem(
            "validation-failed",
            detail="limit must be at least 1",
            errors=[{"path": "$.limit", "message": "must be ≥ 1"}],
        )
    # The page size is capped by the caller's tier (the cap is reported in meta.limit).
    return min(requested, cap)
