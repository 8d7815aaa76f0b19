"""The API's own description: ``/openapi.json`` (OpenAPI 3.1, generated from the routes and the
catalogue) and ``/docs``, a reference page rendered by the gateway itself — no CDN, no script,
so it works offline and under a strict Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from .. import openapi
from ..api_reference import reference
from ..http_caching import public_cacheable
from ..web.headers import page_headers
from .common import json_response, services

bp = Blueprint("docs", __name__)
bp.after_request(public_cacheable)

#: The document depends only on the routes and the configuration, both fixed once the app
#: serves: it is built on first use and kept with the app.
_CACHE_KEY = "jjj-gateway-openapi"


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
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this gateway."""
    return json_response(_document())


@bp.get("/docs")
def reference_page() -> Response:
    """The OpenAPI description as a readable HTML reference."""
    html = render_template(
        "docs.html",
        ref=reference(_document()),
        stylesheet=f"{request.script_root}/static/docs/docs.css",
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    return page_headers(response, "en")
