"""Documentation of each problem type: RFC 9457 §3.1.1 says a type URI should resolve to
human-readable documentation of the problem."""

from __future__ import annotations

from flask import Blueprint, Response

from gateway.core.problems import DOCUMENTATION_PATH, TYPES, Problem
from gateway.http.api.common import json_response
from gateway.http.contract import STRING, Operation, list_of, obj, ok, path, schema
from gateway.http.openapi.components import PAGE_META

bp = Blueprint("problem_docs", __name__, url_prefix=DOCUMENTATION_PATH)

PROBLEM_TYPE = schema(
    "ProblemType",
    obj(
        {"type": STRING, "title": STRING, "status": {"type": "integer"}, "description": STRING},
        ["type", "title", "status", "description"],
    ),
)
LIST_PROBLEMS = Operation(
    "Every problem type",
    "problems",
    operation_id="listProblemTypes",
    responses=ok("The problem types.", schema("ProblemTypeList", list_of(PROBLEM_TYPE, PAGE_META))),
)
ONE_PROBLEM = Operation(
    "One problem type",
    "problems",
    operation_id="getProblemType",
    parameters=(path("slug", "Problem type slug."),),
    responses=ok("Its documentation.", PROBLEM_TYPE),
    problems=(404,),
)


def _doc(slug: str) -> dict[str, object]:
    problem_type = TYPES[slug]
    return {
        "type": problem_type.uri,
        "title": problem_type.title,
        "status": problem_type.status,
        "description": problem_type.description,
    }


@bp.get("")
@LIST_PROBLEMS
def list_problems() -> Response:
    return json_response(
        {
            "data": [_doc(slug) for slug in sorted(TYPES)],
            "meta": {"total": len(TYPES), "page": 1, "perPage": len(TYPES)},
        }
    )


@bp.get("/<slug>")
@ONE_PROBLEM
def problem(slug: str) -> Response:
    if slug not in TYPES:
        raise Problem("not-found", detail=f"no problem type {slug!r}")
    return json_response(_doc(slug))
