"""The contract of the catalogue API (gateway/http/api/catalog_api.py, docs/api.md#catalogue):
the search parameters and their limits, the entries and regions (the taxonomy's in
gateway/http/api/taxonomy_contract.py, the DCAT-AP export's in
gateway/http/api/dcat_contract.py)."""

from __future__ import annotations

from typing import Any

from catalog import DEFAULT_LANGUAGE, LANGUAGES, SHARE_TYPES
from catalog.search import DEFAULT_PER_PAGE
from gateway.http.api.data_contract import FIELD_PLAN
from gateway.http.api.dcat_contract import RDF_CONTENT, format_parameter
from gateway.http.api.linked_data import RDF_MEDIA_TYPES
from gateway.http.contract import (
    JSON,
    NULLABLE_STRING,
    STRING,
    Operation,
    list_of,
    obj,
    ok,
    query,
    schema,
)
from gateway.http.openapi.components import DATASET_ID, I18N_TEXT, REGION_CODE
from gateway.http.openapi.info import either

#: The API's sort names → the catalogue search's.
SORTS = {"relevance": "relevance", "title": "title", "updated": "modified"}
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 200
#: Data levels: 1 public, 2 internal, 3 sensitive, 4 core.
LEVEL: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 4}
#: What a dataset's IRI answers: the entry as JSON (the default), its page for a browser, or its
#: DCAT-AP description in RDF.
DATASET_MEDIA_TYPES = (JSON, "text/html", *RDF_MEDIA_TYPES)
DATASET_LINKS = schema(
    "DatasetLinks",
    obj(
        {
            "self": STRING,
            "records": STRING,
            "page": STRING,
            "openapi": {
                "type": "string",
                "description": "The dataset's own OpenAPI 3.1 document: its typed operations "
                "and record schema, for a client generator.",
            },
            "docs": {"type": "string", "description": "The dataset's API reference page."},
            "dcat": {**STRING, "description": "The dataset's DCAT-AP description (JSON-LD)."},
            "entry": {**STRING, "description": "The catalogue entry as its meta-schema has it."},
        },
        ["self", "records", "page", "openapi", "docs"],
    ),
)
PROVENANCE = schema(
    "Provenance",
    obj(
        {
            "source": {**STRING, "description": "The DCAT-AP export it was harvested from."},
            "publisher": I18N_TEXT,
            "iri": {**STRING, "description": "The dataset's IRI in the source catalogue."},
            "harvested": {"type": "string", "format": "date-time"},
            "modified": {**STRING, "description": "The source's dct:modified of the dataset."},
            "contentHash": {**STRING, "description": "sha256: of the entry's canonical JSON."},
            "origin": {
                "oneOf": [
                    obj(
                        {"source": STRING, "publisher": I18N_TEXT, "iri": STRING},
                        ["source", "publisher", "iri"],
                        description="The catalogue that published the entry first, when "
                        "the source harvested it from there.",
                    ),
                    {"type": "null"},
                ]
            },
        },
        ["source", "publisher", "iri", "harvested", "modified", "contentHash", "origin"],
        description="Where a harvested entry came from (source: the catalogue it was fetched "
        "from; origin: the one that published it first); null for the catalogue's own.",
    ),
)
DATASET_SUMMARY = schema(
    "DatasetSummary",
    obj(
        {
            "id": STRING,
            "title": I18N_TEXT,
            "description": I18N_TEXT,
            "provider": obj(
                {"id": STRING, "name": I18N_TEXT, "regions": {"type": "array", "items": STRING}},
                ["id", "name", "regions"],
            ),
            "category": {"type": "string", "description": "Category id (the taxonomy's)."},
            "domain": {"type": "string", "description": "Id of the category's domain."},
            "themes": {"type": "array", "items": STRING},
            "keywords": obj(
                {
                    "zh": {"type": "array", "items": STRING},
                    "en": {"type": "array", "items": STRING},
                },
                ["zh", "en"],
            ),
            "shareType": {"enum": list(SHARE_TYPES)},
            "level": LEVEL,
            "updateFrequency": STRING,
            "modified": {"type": "string", "format": "date"},
            "links": DATASET_LINKS,
        },
        ["id", "title", "description", "provider", "shareType", "level", "links"],
    ),
)
SEARCH_META = schema(
    "SearchMeta",
    obj(
        {
            "total": {"type": "integer", "description": "Matches on all pages."},
            "page": {"type": "integer"},
            "perPage": {"type": "integer"},
            "sort": {"enum": list(SORTS)},
            "lang": {"enum": list(LANGUAGES)},
            "facets": {
                "type": "object",
                "description": "facet (domain, category, theme, shareType, level, provider, "
                "region) → value → number of datasets matching the text and every other filter.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                },
            },
        },
        ["total", "page", "perPage", "facets"],
    ),
)
FIELD = schema(
    "Field",
    obj(
        {
            "name": STRING,
            "type": {"oneOf": [STRING, {"type": "array", "items": STRING}]},
            "format": NULLABLE_STRING,
            "label": I18N_TEXT,
            "description": NULLABLE_STRING,
            "level": {"type": "integer", "description": "x-level: 1 public … 4 core."},
            "sensitivity": {
                "type": ["string", "null"],
                "description": "x-sensitivity: the kind of personal data, if any.",
            },
            "required": {"type": "boolean"},
            "filters": {"type": "array", "items": STRING},
        },
        ["name", "type", "label", "level"],
    ),
)
TIER = schema(
    "Tier",
    obj(
        {"id": STRING, "label": I18N_TEXT, "maxLevel": {"type": "integer"}},
        ["id", "label", "maxLevel"],
    ),
)
ACCESS = schema(
    "Access",
    obj(
        {
            "shareType": STRING,
            "served": {"type": "boolean", "description": "False: listed, never served."},
            "scope": NULLABLE_STRING,
            "purposeHeader": NULLABLE_STRING,
            "grantRequired": {"type": "boolean"},
            "lowestTier": {"oneOf": [TIER, {"type": "null"}]},
            "tiers": {
                "type": "array",
                "description": "Tiers admitted, lowest first, with the fields each sees when "
                "no grant names them.",
                "items": {"allOf": [TIER, obj({"fields": FIELD_PLAN}, ["fields"])]},
            },
            "purposes": {
                "type": "array",
                "items": obj({"id": STRING, "label": I18N_TEXT}, ["id", "label"]),
            },
            "summary": I18N_TEXT,
        },
        ["shareType", "served", "grantRequired", "tiers", "purposes"],
        description="How to get access, read from the policies the gateway enforces.",
    ),
)
SAMPLE_CALL = schema(
    "SampleCall",
    obj(
        {
            "method": STRING,
            "url": {"type": "string", "format": "uri"},
            "curl": STRING,
            "key": STRING,
            "body": {"type": "object"},
            "shell": STRING,
        },
        ["method", "url", "curl"],
    ),
)
SAMPLE_REQUEST = schema(
    "SampleRequest",
    obj(
        {
            "purpose": STRING,
            "note": I18N_TEXT,
            "token": SAMPLE_CALL,
            "keyLookup": {"oneOf": [SAMPLE_CALL, {"type": "null"}]},
            "query": SAMPLE_CALL,
            "queryBody": SAMPLE_CALL,
        },
        ["purpose", "token", "query"],
    ),
)
NODE = schema(
    "Node",
    obj(
        {
            "id": STRING,
            "name": I18N_TEXT,
            "level": STRING,
            "regions": {"type": "array", "items": STRING},
        },
        ["id", "name", "level", "regions"],
    ),
)
DATASET_ENTRY = schema(
    "DatasetEntry",
    {
        "allOf": [
            DATASET_SUMMARY,
            obj(
                {
                    "keyField": STRING,
                    "regionField": STRING,
                    "fields": {"type": "array", "items": FIELD},
                    "nodes": {"type": "array", "items": NODE},
                    "regionsServed": {"type": "array", "items": STRING},
                    "access": ACCESS,
                    "sampleRequest": {"oneOf": [SAMPLE_REQUEST, {"type": "null"}]},
                    "recordSchema": {"type": "object"},
                    "querySchema": {"type": "object"},
                    "provenance": {"oneOf": [PROVENANCE, {"type": "null"}]},
                },
                ["keyField", "fields", "nodes", "regionsServed", "access"],
            ),
        ]
    },
)
REGION = schema(
    "Region",
    obj(
        {
            "code": STRING,
            "zh": STRING,
            "en": STRING,
            "level": STRING,
            "standard": {"type": "boolean", "description": "False: a project-local grouping."},
            "members": {"type": "array", "items": STRING},
            # A region's children are regions: the one reference by name.
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Region"}},
        },
        ["code", "zh", "en", "level", "standard", "children"],
    ),
)
LIST_DATASETS = Operation(
    "Search the catalogue",
    "catalog",
    operation_id="searchDatasets",
    description="Free text in Chinese and English, filters, facets with counts, sorting "
    "and pages. A filter value that nothing has gives an empty page, not an error; a "
    "category or domain the taxonomy does not have is a 400.",
    parameters=(
        query(
            "q",
            {"type": "string", "maxLength": MAX_QUERY_LENGTH},
            "Words that must all occur (substring, "
            "so Chinese needs no segmentation) in a title, description, keyword or field.",
        ),
        query(
            "region",
            STRING,
            "Region code: a province matches datasets served in any of its "
            "districts; an unknown code matches nothing.",
        ),
        query("theme", STRING, "Theme id (facet `theme`)."),
        query("shareType", STRING, f"{either(SHARE_TYPES)}."),
        query("level", LEVEL, "Data level 1–4."),
        query("provider", STRING, "Provider id (facet `provider`)."),
        query("category", STRING, "Category id of the taxonomy (facet `category`)."),
        query("domain", STRING, "Domain id of the taxonomy: its categories (facet `domain`)."),
        query("sort", {"enum": list(SORTS), "default": "relevance"}, "Order."),
        query(
            "lang",
            {"enum": list(LANGUAGES), "default": DEFAULT_LANGUAGE},
            "Language of the title sort.",
        ),
        query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
        query(
            "perPage",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
            "Datasets per page.",
        ),
    ),
    responses=ok(
        "One page of datasets, the total and the facets.",
        schema("DatasetList", list_of(DATASET_SUMMARY, SEARCH_META)),
    ),
    problems=(400, 500),
    links_pages=True,
)
GET_DATASET = Operation(
    "One dataset",
    "catalog",
    operation_id="getDataset",
    description="The entry, its field table (type, description, x-level, sensitivity), the "
    "nodes and regions that serve it, how to get access and a sample request. The address "
    "is the dataset's IRI in the DCAT-AP export: by the Accept header (or `format`) it "
    "answers the dataset's DCAT-AP description in JSON-LD, Turtle or RDF/XML, and sends a "
    "browser (text/html) to the dataset's page.",
    parameters=(DATASET_ID, format_parameter(DATASET_MEDIA_TYPES)),
    responses={
        "200": (
            "The entry (JSON), or its DCAT-AP description.",
            {
                JSON: schema("DatasetResponse", obj({"data": DATASET_ENTRY}, ["data"])),
                **RDF_CONTENT,
            },
        ),
        "303": ("A browser asked for text/html: the dataset's page is at Location.", {}),
    },
    problems=(400, 404, 500),
)
GET_ENTRY = Operation(
    "One catalogue entry as written",
    "catalog",
    operation_id="getDatasetEntry",
    description="The entry exactly as the catalogue's meta-schema (catalog/schema/"
    "dataset.schema.json) defines it, with recordSchema and querySchema: what another "
    "gateway harvests and checks as one of its own entries (`jjj-gateway catalog harvest`).",
    parameters=(DATASET_ID,),
    responses=ok(
        "The entry.",
        schema(
            "DatasetEntryDocument",
            obj(
                {
                    "data": {"type": "object", "description": "A catalogue entry."},
                    "meta": obj(
                        {"provenance": {"oneOf": [PROVENANCE, {"type": "null"}]}},
                        ["provenance"],
                        description="Where the entry came from, when this catalogue "
                        "harvested it: a harvester keeps its origin.",
                    ),
                },
                ["data", "meta"],
            ),
        ),
    ),
    problems=(404, 500),
)
REGIONS = Operation(
    "The region tree",
    "catalog",
    operation_id="getRegionTree",
    responses=ok(
        "Provinces, cities, districts and groupings.",
        schema("RegionTree", list_of(REGION, {"type": "object"})),
    ),
)
ONE_REGION = Operation(
    "One region",
    "catalog",
    operation_id="getRegion",
    description="A region with its children and parents; the dct:spatial IRIs of the DCAT-AP "
    "export resolve here.",
    parameters=(REGION_CODE,),
    responses=ok("The region.", schema("RegionResponse", obj({"data": REGION}, ["data"]))),
    problems=(404, 500),
)
