"""Documentation of each problem type: RFC 9457 §3.1.1 says a type URI should resolve to
human-readable documentation of the problem."""

from __future__ import annotations

from flask import Blueprint, Response

from gateway.core.problems import DOCUMENTATION_PATH, TYPES, Problem
from gateway.http.api.common import json_response

bp = Blueprint("problem_docs", __name__, url_prefix=DOCUMENTATION_PATH)


def _doc(slug: str) -> dict[str, object]:
    problem_type = TYPES[slug]
    return {
        "type": problem_type.uri,
        "title": problem_type.title,
        "status": problem_type.status,
        "description": problem_type.description,
    }


@bp.get("")
def list_problems() -> Response:
    return json_response(
        {
            "data": [_doc(slug) for slug in sorted(TYPES)],
            "meta": {"total": len(TYPES), "page": 1, "perPage": len(TYPES)},
        }
    )


@bp.get("/<slug>")
def problem(slug: str) -> Response:
    if slug not in TYPES:
        raise Problem("not-found", detail=f"no problem type {slug!r}")
    return json_response(_doc(slug))
