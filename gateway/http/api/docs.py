"""The API's own description: ``/openapi.json`` (OpenAPI 3.1, generated from the routes), each
dataset's own document (``/v1/datasets/<id>/openapi.json``, from its catalogue entry) and
``/docs``, the reference pages rendered by the gateway itself in the catalogue's layout and
languages — no CDN, no script, so they work offline and under a strict
Content-Security-Policy."""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from catalog import Catalog, Dataset
from catalog.categories import Category, Domain
from gateway.core.problems import Problem
from gateway.http.api.common import json_response, services
from gateway.http.caching import public_cacheable
from gateway.http.contract import HTML, STRING, Operation, ok, path, query, schema
from gateway.http.openapi import document as openapi
from gateway.http.openapi.components import DATASET_ID
from gateway.http.openapi.reference import Reference, reference
from gateway.http.web.errors import error_page
from gateway.http.web.rendering import render_page

bp = Blueprint("docs", __name__)
bp.after_request(public_cacheable)

OPENAPI_DOCUMENT = schema(
    "OpenApiDocument", {"type": "object", "description": "An OpenAPI 3.1 document."}
)
DOCUMENT = Operation(
    "This OpenAPI description",
    "docs",
    operation_id="getOpenApiDocument",
    description="The gateway's own operations, datasets reached by id; the same size however "
    "large the catalogue. Each dataset's typed operations are in its own document.",
    responses=ok("OpenAPI 3.1.", OPENAPI_DOCUMENT),
)
DATASET_DOCUMENT = Operation(
    "One dataset's OpenAPI description",
    "docs",
    operation_id="getDatasetOpenApiDocument",
    description="A complete OpenAPI 3.1 document of one dataset: its typed operations (the "
    "records list with its filters as parameters, the query body, the key lookup, CSV by "
    "Accept) and the schemas of its records, with the gateway's security schemes and problem "
    "answers. A client generator turns it into a typed client for the dataset. A dataset that "
    "is not shared has its record schema and no operation.",
    parameters=(DATASET_ID,),
    responses=ok("OpenAPI 3.1.", OPENAPI_DOCUMENT),
    problems=(404,),
)
REFERENCE_PAGE = Operation(
    "API reference page",
    "docs",
    operation_id="getReferencePage",
    description="This description rendered as HTML, served by the gateway itself in the "
    "catalogue's layout, Chinese or English (?lang=, else Accept-Language): authentication, "
    "every operation by tag, and the datasets by domain of the taxonomy.",
    responses=ok("The page.", STRING, HTML),
)


def _named_page(
    summary: str, operation_id: str, description: str, named: Any, missing: str
) -> Operation:
    """The declaration of a reference page of one thing its path names; an error page (HTML,
    like the page) when there is no such thing."""
    return Operation(
        summary,
        "docs",
        operation_id=operation_id,
        description=description,
        parameters=(named,),
        responses={"200": ("The page.", {HTML: STRING}), "404": (missing, {HTML: STRING})},
    )


REFERENCE_TAG_PAGE = _named_page(
    "API reference page of one tag",
    "getReferenceTagPage",
    "The operations of one tag in full, with the schemas they use.",
    path("tag", "A tag of the reference, as its page names it (`records`, `audit`)."),
    "No such tag: an error page.",
)
DATASETS_PAGE = Operation(
    "API reference: the datasets by category",
    "docs",
    operation_id="getReferenceDatasetsPage",
    description="The datasets grouped by the catalogue's taxonomy: without `category`, every "
    "domain and its categories with how many datasets each holds; with it, that category's "
    "datasets a page at a time, each linking its reference page and its OpenAPI document.",
    parameters=(
        query("category", STRING, "A category of the taxonomy (`air-quality`)."),
        query(
            "page",
            {"type": "integer", "minimum": 1},
            "The page of the category's datasets (100 a page); one that cannot be used shows "
            "the nearest page.",
        ),
    ),
    responses={
        "200": ("The page.", {HTML: STRING}),
        "404": ("No such category: an error page.", {HTML: STRING}),
    },
)
DATASET_PAGE = _named_page(
    "API reference page of one dataset",
    "getReferenceDatasetPage",
    "One dataset's document as a page: its typed operations in full and their schemas.",
    DATASET_ID,
    "No such dataset: an error page.",
)

#: Datasets on a page of one category's list (/docs/datasets?category=).
DATASETS_PER_PAGE = 100
#: Dataset documents kept made: one takes some 8 ms to make and 110 KiB to keep, so the few
#: most recently asked for are kept (under 4 MiB), not one for each dataset of a platform-scale
#: catalogue.
KEPT_DATASET_DOCUMENTS = 32

#: The gateway's document depends only on the routes and the configuration, both fixed once
#: the app serves: it is built on first use and kept with the app, and so are the datasets'.
_CACHE_KEY = "jjj-gateway-openapi"
_REFERENCE_KEY = "jjj-gateway-api-reference"
_DATASET_DOCUMENTS_KEY = "jjj-gateway-dataset-openapi"


def _document() -> dict[str, Any]:
    cached: dict[str, Any] | None = current_app.extensions.get(_CACHE_KEY)
    if cached is None:
        svc = services()
        cached = openapi.openapi_document(
            current_app,
            svc.config.policies,
            svc.settings.issuer,
            max_page_size=svc.settings.max_page_size,
        )
        current_app.extensions[_CACHE_KEY] = cached
    return cached


def _dataset_documents() -> Callable[[Dataset], dict[str, Any]]:
    """The app's maker of dataset documents, which keeps the most recent ones."""
    made: Callable[[Dataset], dict[str, Any]] | None = current_app.extensions.get(
        _DATASET_DOCUMENTS_KEY
    )
    if made is None:
        svc = services()
        made = functools.lru_cache(maxsize=KEPT_DATASET_DOCUMENTS)(
            functools.partial(
                openapi.dataset_document,
                policies=svc.config.policies,
                base_url=svc.settings.issuer,
                max_page_size=svc.settings.max_page_size,
            )
        )
        current_app.extensions[_DATASET_DOCUMENTS_KEY] = made
    return made


def _dataset(dataset_id: str) -> Dataset | None:
    return services().config.catalog.get(dataset_id)


@bp.get("/openapi.json")
@DOCUMENT
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this gateway."""
    return json_response(_document())


@bp.get("/v1/datasets/<dataset_id>/openapi.json")
@DATASET_DOCUMENT
def dataset_document(dataset_id: str) -> Response:
    """The OpenAPI 3.1 description of one dataset's typed operations."""
    dataset = _dataset(dataset_id)
    if dataset is None:
        raise Problem("dataset-not-found", detail=f"no dataset {dataset_id!r} in the catalogue")
    return json_response(_dataset_documents()(dataset))


def _reference() -> Reference:
    cached: Reference | None = current_app.extensions.get(_REFERENCE_KEY)
    if cached is None:
        cached = reference(_document())
        current_app.extensions[_REFERENCE_KEY] = cached
    return cached


def _stylesheet() -> str:
    return url_for("web.static", filename="docs/docs.css")


def _page(**shown: Any) -> Response:
    """A reference page: the contents (the gateway's tags) beside what it shows."""
    values: dict[str, Any] = {
        "tag": None,
        "schemas": (),
        "dataset": None,
        "datasets": None,
        "category": None,
    }
    return render_page(
        "docs.html", ref=_reference(), section="api", stylesheet=_stylesheet(), **values | shown
    )


@dataclass(frozen=True, slots=True)
class DomainGroup:
    """A domain of the taxonomy with the categories of it that hold datasets, and how many."""

    domain: Domain
    categories: tuple[tuple[Category, int], ...]

    @property
    def count(self) -> int:
        return sum(count for _, count in self.categories)


def _groups(catalogue: Catalog) -> list[DomainGroup]:
    """The taxonomy as the datasets fill it, in its order; empty categories left out."""
    counts = Counter(d.category for d in catalogue)
    groups = (
        DomainGroup(domain, tuple((c, counts[c.id]) for c in domain.categories if counts[c.id]))
        for domain in catalogue.taxonomy
    )
    return [group for group in groups if group.categories]


@bp.get("/docs")
@REFERENCE_PAGE
def reference_page() -> Response:
    """The API reference: authentication, every operation by tag and the datasets by domain,
    in the catalogue's layout and language (zh/en)."""
    catalogue = services().config.catalog
    return _page(groups=_groups(catalogue), datasets_total=len(catalogue))


@bp.get("/docs/<tag>")
@REFERENCE_TAG_PAGE
def reference_tag_page(tag: str) -> Response:
    """One tag of the API reference: its operations in full and the schemas they use."""
    ref = _reference()
    found = ref.tag(tag)
    if found is None:
        return error_page(404)
    return _page(tag=found, schemas=ref.schemas_of(found))


def _page_number(pages: int) -> int:
    """The page asked for; read leniently like the catalogue pages' (a person editing a URL
    gets the nearest page, not an error)."""
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1
    return min(max(number, 1), pages)


@bp.get("/docs/datasets")
@DATASETS_PAGE
def datasets_page() -> Response:
    """The taxonomy with each category's count; or one category's datasets, a page at a time,
    each linking its reference page."""
    catalogue = services().config.catalog
    category_id = request.args.get("category")
    if category_id is None:
        return _page(datasets=(), groups=_groups(catalogue), datasets_total=len(catalogue))
    category = catalogue.taxonomy.category(category_id)
    if category is None:
        return error_page(404)
    every = [d for d in catalogue if d.category == category.id]
    pages = max(1, math.ceil(len(every) / DATASETS_PER_PAGE))
    number = _page_number(pages)
    return _page(
        datasets=every[(number - 1) * DATASETS_PER_PAGE : number * DATASETS_PER_PAGE],
        category=category,
        domain=catalogue.taxonomy.domain_of(category.id),
        datasets_total=len(every),
        page=number,
        pages=pages,
    )


@bp.get("/docs/datasets/<dataset_id>")
@DATASET_PAGE
def dataset_page(dataset_id: str) -> Response:
    """One dataset's reference page: its own document, rendered like a tag's page."""
    dataset = _dataset(dataset_id)
    if dataset is None:
        return error_page(404, reason="dataset", dataset_id=dataset_id)
    ref = reference(_dataset_documents()(dataset))
    tag = ref.tags[0] if ref.tags else None
    return _page(
        tag=tag,
        schemas=ref.schemas_of(tag) if tag else ref.schemas,
        dataset=dataset,
        category=services().config.catalog.taxonomy.category(dataset.category),
    )
