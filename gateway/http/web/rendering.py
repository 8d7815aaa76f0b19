"""Rendering a catalogue page: its language, its texts, links that keep the language, headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from flask import Response, render_template, request, url_for

from gateway.http.web.headers import page_headers
from gateway.http.web.i18n import HTML_LANG, Language, Translator, negotiate

#: A page changes only when the catalogue, the nodes or the policies are deployed anew: shared
#: caches may keep one for five minutes. An error page is not kept, so a fix shows at once.
PAGE_CACHE_CONTROL = "public, max-age=300"
ERROR_CACHE_CONTROL = "no-store"


def page_language() -> Language:
    return negotiate(request.args.get("lang"), request.accept_languages)


def link_builder(language: Language) -> Callable[..., str]:
    """``link(endpoint, **params)``: a URL that carries the language when the person chose it."""

    def link(endpoint: str, **params: Any) -> str:
        if language.explicit:
            params.setdefault("lang", language.code)
        return url_for(endpoint, **params)

    return link


def switch_url(language: Language) -> str:
    """This page, with the same parameters, in the other language."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", language.other))
    return f"{request.script_root}{quote(request.path)}?{urlencode(args)}"


def render_page(template: str, *, status: int = 200, **context: Any) -> Response:
    """The page in the request's language, with the pages' security headers."""
    language = page_language()
    body = render_template(
        template,
        t=Translator(language.code),
        language=language,
        html_lang=HTML_LANG[language.code],
        link=link_builder(language),
        switch_url=switch_url(language),
        **context,
    )
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL if status == 200 else ERROR_CACHE_CONTROL
    return page_headers(response, HTML_LANG[language.code])
