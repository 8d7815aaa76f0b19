"""Errors on the catalogue pages are pages too (the API keeps its problem+json)."""

from __future__ import annotations

import logging

from flask import Response

from gateway.http.web.headers import page_headers
from gateway.http.web.rendering import ERROR_CACHE_CONTROL, render_page

log = logging.getLogger(__name__)

#: Paths of the pages: an error under them is shown as HTML to the person browsing.
_PAGE_PREFIXES = ("/catalog/", "/regions", "/static/")
_KNOWN_STATUSES = (404, 405, 500)


def is_page_path(path: str) -> bool:
    return path in ("/", "/catalog") or path.startswith(_PAGE_PREFIXES)


def error_page(
    status: int,
    *,
    reason: str | None = None,
    dataset_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error page for a status (an unknown dataset names the identifier asked for)."""
    if reason == "dataset":
        key = "dataset"
    else:
        key = str(status) if status in _KNOWN_STATUSES else "other"
    try:
        response = render_page(
            "web/error.html", status=status, key=key, status_code=status, dataset_id=dataset_id
        )
    except Exception:
        # The error page must not fail in turn; the details go to the log, never to the person.
        log.exception("cannot render the error page for status %s", status)
        response = Response(
            "<!doctype html><html lang=en><title>Error</title><h1>Error</h1>",
            status=status,
            content_type="text/html; charset=utf-8",
        )
        response.headers["Cache-Control"] = ERROR_CACHE_CONTROL
        page_headers(response)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
