"""RFC 8288 Web Linking: the ``Link`` header that tells a client where the other pages of a
list are (``first``, ``prev``, ``next``, ``last``), so it need not build their URLs itself."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import request


def page_query(**changes: str | None) -> str:
    """The current request's query string with some parameters changed; None drops one."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, v) for k, v in changes.items() if v is not None]
    return urlencode(args)


def page_url(**changes: str | None) -> str:
    """The current request's URL (path and query) with some parameters changed; None drops
    one. Relative to the server, as RFC 8288 §3.1 allows (resolved against the request)."""
    query = page_query(**changes)
    path = f"{request.script_root}{request.path}"
    return f"{path}?{query}" if query else path


def link_header(links: Mapping[str, str]) -> str:
    """``<url>; rel="next", <url>; rel="last"`` for relation → URL."""
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())


def numbered_page_links(page: int, per_page: int, total: int) -> dict[str, str]:
    """first/prev/next/last of a list paged by ``page`` and ``perPage``."""
    last = max(1, -(-total // per_page))
    links = {"first": page_url(page="1")}
    if page > 1:
        links["prev"] = page_url(page=str(min(page - 1, last)))
    if page < last:
        links["next"] = page_url(page=str(page + 1))
    links["last"] = page_url(page=str(last))
    return links
