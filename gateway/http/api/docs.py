"""The API's own description: ``/openapi.json`` (OpenAPI 3.1, generated from the routes and the
catalogue) and ``/docs``, the reference pages rendered by the gateway itself in the catalogue's
layout and languages — no CDN, no script, so they work offline and under a strict
Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, url_for

from gateway.http.api.common import json_response, services
from gateway.http.caching import public_cacheable
from gateway.http.contract import HTML, STRING, Operation, ok, path, schema
from gateway.http.openapi import document as openapi
from gateway.http.openapi.reference import Reference, reference
from gateway.http.web.errors import error_page
from gateway.http.web.rendering import render_page

bp = Blueprint("docs", __name__)
bp.after_request(public_cacheable)

DOCUMENT = Operation(
    "This OpenAPI description",
    "docs",
    operation_id="getOpenApiDocument",
    responses=ok(
        "OpenAPI 3.1.",
        schema("OpenApiDocument", {"type": "object", "description": "An OpenAPI 3.1 document."}),
    ),
)
REFERENCE_PAGE = Operation(
    "API reference page",
    "docs",
    operation_id="getReferencePage",
    description="This description rendered as HTML, served by the gateway itself in the "
    "catalogue's layout, Chinese or English (?lang=, else Accept-Language): authentication "
    "and every operation, by tag.",
    responses=ok("The page.", STRING, HTML),
)
REFERENCE_TAG_PAGE = Operation(
    "API reference page of one tag",
    "docs",
    operation_id="getReferenceTagPage",
    description="The operations of one tag in full, with the schemas they use.",
    parameters=(
        path("tag", "A tag of the reference, as its page names it (`hourly-air-quality`)."),
    ),
    responses={
        "200": ("The page.", {HTML: STRING}),
        "404": ("No such tag: an error page.", {HTML: STRING}),
    },
)

#: The document depends only on the routes and the configuration, both fixed once the app
#: serves: it is built on first use and kept with the app.
_CACHE_KEY = "jjj-gateway-openapi"
_REFERENCE_KEY = "jjj-gateway-api-reference"


def _document() -> dict[str, Any]:
    cached: dict[str, Any] | None = current_app.extensions.get(_CACHE_KEY)
    if cached is None:
        svc = services()
        cached = openapi.openapi_document(
            current_app,
            svc.config.catalog,
            svc.config.policies,
            svc.settings.issuer,
            max_page_size=svc.settings.max_page_size,
        )
        current_app.extensions[_CACHE_KEY] = cached
    return cached


@bp.get("/openapi.json")
@DOCUMENT
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this gateway."""
    return json_response(_document())


def _reference() -> Reference:
    cached: Reference | None = current_app.extensions.get(_REFERENCE_KEY)
    if cached is None:
        cached = reference(_document())
        current_app.extensions[_REFERENCE_KEY] = cached
    return cached


def _stylesheet() -> str:
    return url_for("web.static", filename="docs/docs.css")


@bp.get("/docs")
@REFERENCE_PAGE
def reference_page() -> Response:
    """The API reference: authentication and every operation by tag, in the catalogue's
    layout and language (zh/en)."""
    return render_page(
        "docs.html", ref=_reference(), tag=None, schemas=(), section="api", stylesheet=_stylesheet()
    )


@bp.get("/docs/<tag>")
@REFERENCE_TAG_PAGE
def reference_tag_page(tag: str) -> Response:
    """One tag of the API reference: its operations in full and the schemas they use."""
    ref = _reference()
    found = ref.tag(tag)
    if found is None:
        return error_page(404)
    return render_page(
        "docs.html",
        ref=ref,
        tag=found,
        schemas=ref.schemas_of(found),
        section="api",
        stylesheet=_stylesheet(),
    )
