"""The DCAT-AP export as RDF: the JSON-LD read into an rdflib graph, and written in Turtle or
RDF/XML, so that every serialisation says exactly what the JSON-LD says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import Graph
from rdflib.plugins.parsers.jsonld import to_rdf

from catalog.dcat_vocabulary import JSON_LD, RDF_SERIALISATIONS, RDF_XML, TURTLE


def rdf_graph(document: Mapping[str, Any]) -> Graph:
    """The export as an rdflib graph, read from the JSON-LD itself (so every serialisation says
    exactly what the JSON-LD says); its @context is inline, so nothing is fetched."""
    graph = Graph()
    # to_rdf rather than Graph.parse: parse goes through rdflib's deprecated ConjunctiveGraph.
    to_rdf(dict(document), graph)
    return graph


def serialise(document: Mapping[str, Any], media_type: str) -> bytes:
    """The export in Turtle or RDF/XML (a media type of RDF_SERIALISATIONS), UTF-8."""
    data: bytes = rdf_graph(document).serialize(
        format=RDF_SERIALISATIONS[media_type], encoding="utf-8"
    )
    return data


__all__ = ["JSON_LD", "RDF_SERIALISATIONS", "RDF_XML", "TURTLE", "rdf_graph", "serialise"]
