"""Content negotiation of the catalogue's linked data (RFC 9110 §12.5.1): the DCAT-AP export and
each dataset's IRI answer JSON-LD, Turtle or RDF/XML as the request's Accept header (or a
``format`` parameter, for a link a person follows) asks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, request

from catalog.dcat_rdf import JSON_LD, RDF_XML, TURTLE, serialise
from gateway.core.problems import Problem
from gateway.http.api.common import json_response

#: ``format`` values → media types, for links that cannot set an Accept header.
FORMATS: Mapping[str, str] = {
    "json": "application/json",
    "jsonld": JSON_LD,
    "turtle": TURTLE,
    "rdfxml": RDF_XML,
}
RDF_MEDIA_TYPES = (JSON_LD, TURTLE, RDF_XML)


def format_names(offered: Sequence[str]) -> list[str]:
    """The ``format`` values that name one of the media types ``offered``."""
    return [name for name, media in FORMATS.items() if media in offered]


def negotiate(offered: Sequence[str]) -> str:
    """The media type to answer in: the ``format`` parameter when given (one of those offered),
    else the best of ``offered`` for the Accept header, else the first offered."""
    values = request.args.getlist("format")
    if values:
        allowed = format_names(offered)
        if len(values) > 1 or FORMATS.get(values[0]) not in offered:
            message = f"must be given once, one of {', '.join(allowed)}"
            raise Problem(
                "validation-failed",
                detail=f"format {message}",
                errors=[{"path": "$.query.format", "message": message}],
            )
        return FORMATS[values[0]]
    return request.accept_mimetypes.best_match(offered) or offered[0]


def rdf_response(document: Mapping[str, Any], media_type: str) -> Response:
    """The document in one of RDF_MEDIA_TYPES; caches keep one copy per Accept header."""
    if media_type == JSON_LD:
        response = json_response(document)
    else:
        response = Response(serialise(document, media_type))
    response.content_type = f"{media_type}; charset=utf-8"
    response.vary.add("Accept")
    return response
