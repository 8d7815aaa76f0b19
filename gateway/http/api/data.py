"""Data endpoints (docs/api.md): one request, one exchange through the pipeline."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from flask import Blueprint, Response, g, request

from gateway.core.problems import Problem
from gateway.exchange import csv_records
from gateway.exchange.request import RESERVED_PARAMS, DataRequest
from gateway.exchange.responses import ExchangeResponse
from gateway.http.api.common import authenticate, integer_param, reject_unknown_params, services
from gateway.http.api.data_contract import GET_RECORD, LIST_RECORDS, QUERY_BODY, QUERY_RECORDS
from gateway.http.web_linking import link_header, page_url

bp = Blueprint("data", __name__, url_prefix="/v1/datasets")

DATASET_ID = re.compile(r"^[a-z][a-z0-9-]{2,63}$")
MAX_KEY_LENGTH = 128
JSON = "application/json"
#: What a data answer can be rendered as (RFC 9110 §12.5.1 Accept), the default first.
OFFERED = (JSON, csv_records.MEDIA_TYPE)


def _media_type() -> str:
    """The media type the caller accepts: JSON unless it prefers CSV; neither is a 406."""
    if not request.accept_mimetypes:
        return JSON
    best = request.accept_mimetypes.best_match(OFFERED)
    if best is None:
        raise Problem(
            "not-acceptable",
            detail=f"data answers are {' or '.join(OFFERED)}; the Accept header allows neither",
        )
    return best


def _dataset_id(value: str) -> str:
    if not DATASET_ID.match(value):
        raise Problem("dataset-not-found", detail="no dataset with this id in the catalogue")
    return value


def _render(result: ExchangeResponse) -> Response:
    headers = dict(result.headers)
    if result.next_cursor is not None:
        if request.method == "GET":
            # RFC 8288: the next page is this request with the cursor, for JSON and CSV alike.
            headers["Link"] = link_header({"next": page_url(cursor=result.next_cursor)})
        else:
            # A POSTed query's cursor goes into the next body: there is no URL to link to.
            headers["X-Next-Cursor"] = result.next_cursor
    return Response(
        result.body,
        status=result.status,
        headers=headers,
        content_type=result.content_type
        + (
            "; charset=utf-8"
            if result.content_type.endswith("json") and "problem" not in result.content_type
            else ""
        ),
    )


def _exchange(dataset_id: str, build: Callable[[], DataRequest]) -> Response:
    """Authenticate, then run the exchange; a request that cannot even be parsed is still an
    exchange of this caller and is audited as such."""
    principal = authenticate()
    exchanges = services().exchanges
    try:
        data_request = replace(build(), media_type=_media_type())
    except Problem as problem:
        return _render(
            exchanges.reject(
                principal,
                problem,
                dataset_id=dataset_id,
                purpose=request.headers.get("X-Purpose"),
                method=request.method,
                path=request.path,
                exchange_id=g.exchange_id,
                started_at=g.started_at,
            )
        )
    return _render(
        exchanges.run(principal, data_request, exchange_id=g.exchange_id, started_at=g.started_at)
    )


def _csv(name: str, values: list[str]) -> tuple[str, ...] | None:
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    if values and not items:
        raise Problem(
            "validation-failed",
            detail=f"{name} is empty",
            errors=[{"path": f"$.query.{name}", "message": "must not be empty"}],
        )
    return tuple(items) if items else None


def _bool(name: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise Problem(
        "validation-failed",
        detail=f"{name} must be true or false",
        errors=[{"path": f"$.query.{name}", "message": "must be true or false"}],
    )


@bp.get("/<dataset_id>/records")
@LIST_RECORDS
def list_records(dataset_id: str) -> Response:
    return _exchange(dataset_id, _list_request)


def _list_request() -> DataRequest:
    args = request.args
    dataset_id = request.view_args["dataset_id"] if request.view_args else ""
    filter_terms = {k: args.getlist(k) for k in args if k not in RESERVED_PARAMS}
    return DataRequest(
        dataset_id=_dataset_id(dataset_id),
        purpose=request.headers.get("X-Purpose"),
        method="GET",
        path=request.path,
        filter=filter_terms,
        filter_from_query=True,
        fields=_csv("fields", args.getlist("fields")),
        regions=_csv("region", args.getlist("region") + args.getlist("regions")),
        limit=integer_param("limit", args.get("limit")),
        cursor=args.get("cursor"),
        strict=_bool("strict", args.get("strict")),
    )


@bp.get("/<dataset_id>/records/<path:key>")
@GET_RECORD
def get_record(dataset_id: str, key: str) -> Response:
    return _exchange(dataset_id, _key_request)


def _key_request() -> DataRequest:
    view_args = request.view_args or {}
    dataset_id, key = view_args.get("dataset_id", ""), view_args.get("key", "")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or "/" in key:
        raise Problem(
            "validation-failed",
            detail="the record key is not valid",
            errors=[{"path": "$.key", "message": "not a valid key"}],
        )
    reject_unknown_params(GET_RECORD.query_names)
    return DataRequest(
        dataset_id=_dataset_id(dataset_id),
        purpose=request.headers.get("X-Purpose"),
        method="GET",
        path=request.path,
        key=key,
        fields=_csv("fields", request.args.getlist("fields")),
        strict=_bool("strict", request.args.get("strict")),
    )


@bp.post("/<dataset_id>/query")
@QUERY_RECORDS
def query(dataset_id: str) -> Response:
    return _exchange(dataset_id, _query_request)


def _query_request() -> DataRequest:
    dataset_id = _dataset_id((request.view_args or {}).get("dataset_id", ""))
    body = QUERY_BODY.read()
    fields, regions = body.get("fields"), body.get("regions")
    return DataRequest(
        dataset_id=dataset_id,
        purpose=request.headers.get("X-Purpose"),
        method="POST",
        path=request.path,
        filter=body.get("filter", {}),
        fields=tuple(fields) if fields else None,
        regions=tuple(regions) if regions else None,
        limit=body.get("limit"),
        cursor=body.get("cursor"),
        strict=body.get("strict"),
    )
