"""The contract of the catalogue's linked data (gateway/http/api/catalog_api.py,
docs/api.md#the-dcat-ap-export-in-pages): the DCAT-AP export in pages, and what every RDF answer
shares (the syntaxes offered, the ``format`` parameter)."""

from __future__ import annotations

from typing import Any

from catalog.dcat_pages import DEFAULT_PER_PAGE as DCAT_PER_PAGE
from catalog.dcat_pages import MAX_PER_PAGE as DCAT_MAX_PER_PAGE
from catalog.dcat_rdf import JSON_LD
from gateway.http.api.linked_data import RDF_MEDIA_TYPES, format_names
from gateway.http.contract import STRING, Operation, obj, query, schema

#: The catalogue's linked data in the RDF syntaxes other than JSON-LD.
RDF_CONTENT = {media: STRING for media in RDF_MEDIA_TYPES if media != JSON_LD}


def format_parameter(offered: tuple[str, ...]) -> dict[str, Any]:
    return query(
        "format", {"enum": format_names(offered)}, "Overrides the Accept header, for a link."
    )


DCAT_DOCUMENT = schema(
    "DcatDocument",
    obj(
        {"@context": {"type": "object"}, "@graph": {"type": "array", "items": {"type": "object"}}},
        ["@context", "@graph"],
        description="DCAT-AP 3.0 JSON-LD with the @context inline.",
    ),
)

DCAT = Operation(
    "The catalogue as DCAT-AP 3.0, in pages",
    "catalog",
    operation_id="getDcatCatalogue",
    description="One page of the catalogue, a whole DCAT-AP document: JSON-LD with an inline "
    "@context (nothing to fetch), the catalog with this page's datasets (zh and en texts, "
    "publishers, themes, spatial coverage, access rights, a distribution per served dataset) "
    "and the gateway's data service. A hydra:PagedCollection node gives hydra:totalItems, "
    "hydra:itemsPerPage and the first, last, next and previous pages (also as "
    "firstPage/lastPage/nextPage/previousPage, which CKAN's dcat harvester reads); so does "
    "the Link header. Without `page`, the first page. Turtle or RDF/XML by the Accept header "
    "(or `format`), paged the same way.",
    parameters=(
        format_parameter(RDF_MEDIA_TYPES),
        query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
        query(
            "perPage",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": DCAT_MAX_PER_PAGE,
                "default": DCAT_PER_PAGE,
            },
            "Datasets per page.",
        ),
    ),
    responses={"200": ("One page of the catalogue.", {JSON_LD: DCAT_DOCUMENT, **RDF_CONTENT})},
    problems=(400, 500),
    links_pages=True,
)
