"""Public, cacheable answers (RFC 9110 §8.8 and §13, RFC 9111 §5.2): a strong ``ETag`` from the
body, ``Last-Modified``, ``If-None-Match``/``If-Modified-Since`` answered with 304, a public
``Cache-Control`` and gzip when the caller accepts it (``Vary: Accept-Encoding``).

For what is the same for every caller until the configuration changes: the catalogue API, its
DCAT-AP export, the OpenAPI description and its reference page. Data answers are never cached
(``Cache-Control: no-store``, set for every other /v1 answer)."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib

from flask import Response, current_app, request
from werkzeug.http import http_date, parse_date

#: Catalogue edits reach a gateway with a restart; five minutes of freshness, then a cheap
#: revalidation with the ETag.
MAX_AGE = 300
CACHE_CONTROL = f"public, max-age={MAX_AGE}"
#: Below this a gzip member's own overhead outweighs what it saves.
MIN_COMPRESS_BYTES = 1024
_LOADED_AT = "jjj-gateway-loaded-at"


def mark_loaded(app_extensions: dict[str, object]) -> None:
    """Remember when this process loaded its configuration: nothing it serves publicly changed
    after that, so it is a Last-Modified no cached copy can be newer than."""
    app_extensions[_LOADED_AT] = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _last_modified() -> dt.datetime:
    loaded = current_app.extensions.get(_LOADED_AT)
    return loaded if isinstance(loaded, dt.datetime) else dt.datetime.now(dt.UTC)


def _opaque(tag: str) -> str:
    # RFC 9110 §8.8.3.2: If-None-Match uses the weak comparison (W/ ignored).
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _none_match(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return any(_opaque(tag) == etag for tag in header.split(","))


def _not_modified_since(header: str, last_modified: dt.datetime) -> bool:
    since = parse_date(header)
    return since is not None and last_modified <= since


@functools.lru_cache(maxsize=32)
def _gzip(body: bytes) -> bytes:
    """The compressed body; the same few bodies (the description, the DCAT export) are asked
    for again and again, so each is compressed once. mtime=0: the same body always compresses
    to the same bytes, so the ETag holds."""
    return gzip.compress(body, compresslevel=6, mtime=0)


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def public_cacheable(response: Response) -> Response:
    """A 200 answer to GET/HEAD made cacheable and conditional, compressed when accepted; any
    other answer (a problem, a redirect) passes unchanged."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.is_streamed or response.direct_passthrough:
        return response
    body = response.get_data()
    digest = hashlib.sha256(body).hexdigest()[:32]
    compress = len(body) >= MIN_COMPRESS_BYTES and _accepts_gzip()
    # RFC 9110 §8.8.3: a strong validator differs between content codings of one resource.
    etag = f'"{digest}-gzip"' if compress else f'"{digest}"'
    last_modified = _last_modified()
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(last_modified)
    response.vary.add("Accept-Encoding")
    if_none_match = request.headers.get("If-None-Match")
    # RFC 9110 §13.2.2: If-Modified-Since is evaluated only without If-None-Match.
    if (if_none_match is not None and _none_match(if_none_match, etag)) or (
        if_none_match is None
        and "If-Modified-Since" in request.headers
        and _not_modified_since(request.headers["If-Modified-Since"], last_modified)
    ):
        response.status_code = 304
        response.set_data(b"")
        # RFC 9110 §15.4.5: a 304 has no content; its metadata headers describe the stored one.
        for name in ("Content-Type", "Content-Length", "Content-Encoding"):
            response.headers.pop(name, None)
        return response
    if compress:
        response.set_data(_gzip(body))
        response.headers["Content-Encoding"] = "gzip"
    return response
