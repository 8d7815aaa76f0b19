"""Response headers of the catalogue pages: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from flask import Response

# Everything a page uses comes from the gateway itself: its stylesheet and its icon. No script
# runs on the pages, nothing inline is allowed, and no page may be framed or post elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


def page_headers(response: Response, language: str | None = None) -> Response:
    """The security headers of a page or a static file, and its language when it has one."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    if language is not None:
        response.headers["Content-Language"] = language
        # The language may come from Accept-Language, so caches must keep one copy per language.
        response.vary.add("Accept-Language")
    return response
