"""Catalogue API (DESIGN §4): search with facets, one entry, the region tree."""

from __future__ import annotations

from flask import Blueprint, Response, request

from catalog import search

from ..catalog_views import dataset_detail, dataset_summary
from ..problems import Problem
from .common import json_response, reject_unknown_params, services

bp = Blueprint("catalog_api", __name__, url_prefix="/v1/catalog")

SORTS = ("relevance", "title", "updated")
MAX_PER_PAGE = 100
FILTERS = (
    "q",
    "region",
    "theme",
    "shareType",
    "level",
    "provider",
    "page",
    "perPage",
    "sort",
    "lang",
)


def _positive(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        raise Problem(
            "validation-failed",
            detail=f"{name} must be a positive integer",
            errors=[{"path": f"$.query.{name}", "message": "must be a positive integer"}],
        )
    value = int(raw)
    if maximum is not None and value > maximum:
        raise Problem(
            "validation-failed",
            detail=f"{name} must be at most {maximum}",
            errors=[{"path": f"$.query.{name}", "message": f"must be ≤ {maximum}"}],
        )
    return value


@bp.get("/datasets")
def list_datasets() -> Response:
    reject_unknown_params(set(FILTERS))
    sort = request.args.get("sort", "relevance")
    if sort not in SORTS:
        raise Problem(
            "validation-failed",
            detail=f"sort must be one of {', '.join(SORTS)}",
            errors=[{"path": "$.query.sort", "message": f"one of {list(SORTS)}"}],
        )
    level = request.args.get("level")
    if level is not None and level not in ("1", "2", "3", "4"):
        raise Problem(
            "validation-failed",
            detail="level must be 1, 2, 3 or 4",
            errors=[{"path": "$.query.level", "message": "one of 1, 2, 3, 4"}],
        )
    svc = services()
    config = svc.config
    served = {d: config.routing.served_regions(d) for d in config.catalog.datasets}
    result = search(
        config.catalog,
        q=(request.args.get("q") or "").strip()[:200] or None,
        region=request.args.get("region") or None,
        theme=request.args.get("theme") or None,
        share_type=request.args.get("shareType") or None,
        level=int(level) if level else None,
        provider=request.args.get("provider") or None,
        page=_positive("page", 1),
        per_page=_positive("perPage", 20, MAX_PER_PAGE),
        sort=sort,
        served_regions=served,
    )
    return json_response(
        {
            "data": [dataset_summary(d, config) for d in result.items],
            "meta": {
                "total": result.total,
                "page": result.page,
                "perPage": result.per_page,
                "facets": result.facets,
            },
        }
    )


@bp.get("/datasets/<dataset_id>")
def get_dataset(dataset_id: str) -> Response:
    config = services().config
    dataset = config.catalog.get(dataset_id)
    if dataset is None:
        raise Problem("dataset-not-found", detail=f"no dataset {dataset_id!r} in the catalogue")
    return json_response({"data": dataset_detail(dataset, config)})


@bp.get("/regions")
def regions() -> Response:
    return json_response({"data": services().config.catalog.regions.tree(), "meta": {}})
