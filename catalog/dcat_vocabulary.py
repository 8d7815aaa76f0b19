"""The vocabularies of the DCAT-AP 3.0 export: the EU Publications Office authority tables
(themes, access rights, frequencies, languages, file types, planned availability), the RDF media
types, and the JSON-LD ``@context`` the export writes out in full (catalog/dcat.py uses them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EU = "http://publications.europa.eu/resource/authority"
DATA_THEME_SCHEME = f"{EU}/data-theme"
#: The media type of every distribution: the data API answers JSON.
JSON_MEDIA_TYPE = "http://www.iana.org/assignments/media-types/application/json"
JSON_FILE_TYPE = f"{EU}/file-type/JSON"
STABLE = f"{EU}/planned-availability/STABLE"
# Our providers are the provincial-level departments of the three regions.
REGIONAL_AUTHORITY = "http://purl.org/adms/publishertype/RegionalAuthority"

# docs/reference.md: "unconditional → PUBLIC, conditional → RESTRICTED, none → NON_PUBLIC".
ACCESS_RIGHTS: Mapping[str, str] = {
    "unconditional": f"{EU}/access-right/PUBLIC",
    "conditional": f"{EU}/access-right/RESTRICTED",
    "none": f"{EU}/access-right/NON_PUBLIC",
}

#: updateFrequency → the EU frequency vocabulary (ANNUAL_2 is "semiannual").
FREQUENCIES: Mapping[str, str] = {
    "continuous": f"{EU}/frequency/CONT",
    "hourly": f"{EU}/frequency/HOURLY",
    "daily": f"{EU}/frequency/DAILY",
    "weekly": f"{EU}/frequency/WEEKLY",
    "monthly": f"{EU}/frequency/MONTHLY",
    "quarterly": f"{EU}/frequency/QUARTERLY",
    "semiannual": f"{EU}/frequency/ANNUAL_2",
    "annual": f"{EU}/frequency/ANNUAL",
    "irregular": f"{EU}/frequency/IRREG",
}

#: Our theme ids → the EU data themes closest to them; a theme missing here maps to none.
EU_THEMES: Mapping[str, str] = {
    "economy": "ECON",
    "enterprise": "ECON",
    "credit": "ECON",
    "environment": "ENVI",
    "natural-resources": "ENVI",
    "health": "HEAL",
    "government": "GOVE",
    "public-service": "GOVE",
    "science": "TECH",
    "social-security": "SOCI",
    "employment": "SOCI",
    "housing": "REGI",
    "education": "EDUC",
    "transport": "TRAN",
    "energy": "ENER",
    "agriculture": "AGRI",
    "justice": "JUST",
}

LANGUAGES = (f"{EU}/language/ZHO", f"{EU}/language/ENG")

JSON_LD = "application/ld+json"
TURTLE = "text/turtle"
RDF_XML = "application/rdf+xml"
#: The RDF serialisations the export is offered in, with rdflib's name of each (pretty-xml nests
#: a resource's properties under it, which reads like the RDF/XML harvesters are used to).
RDF_SERIALISATIONS: Mapping[str, str] = {TURTLE: "turtle", RDF_XML: "pretty-xml"}

CONTEXT: Mapping[str, Any] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "id": "@id",
    "type": "@type",
    "Catalog": "dcat:Catalog",
    "Dataset": "dcat:Dataset",
    "Distribution": "dcat:Distribution",
    "DataService": "dcat:DataService",
    "Agent": "foaf:Agent",
    "Location": "dct:Location",
    "Concept": "skos:Concept",
    "ConceptScheme": "skos:ConceptScheme",
    "Kind": "vcard:Kind",
    # Texts in Chinese and English are language maps: {"zh": …, "en": …} become @zh / @en.
    "title": {"@id": "dct:title", "@container": "@language"},
    "description": {"@id": "dct:description", "@container": "@language"},
    "keyword": {"@id": "dcat:keyword", "@container": "@language"},
    "name": {"@id": "foaf:name", "@container": "@language"},
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "fn": {"@id": "vcard:fn", "@container": "@language"},
    "identifier": "dct:identifier",
    "notation": "skos:notation",
    "modified": {"@id": "dct:modified", "@type": "xsd:date"},
    "issued": {"@id": "dct:issued", "@type": "xsd:date"},
    "publisher": {"@id": "dct:publisher", "@type": "@id"},
    "publisherType": {"@id": "dct:type", "@type": "@id"},
    "homepage": {"@id": "foaf:homepage", "@type": "@id"},
    "language": {"@id": "dct:language", "@type": "@id"},
    "dataset": {"@id": "dcat:dataset", "@type": "@id"},
    "service": {"@id": "dcat:service", "@type": "@id"},
    "themeTaxonomy": {"@id": "dcat:themeTaxonomy", "@type": "@id"},
    "theme": {"@id": "dcat:theme", "@type": "@id"},
    "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
    "topConceptOf": {"@id": "skos:topConceptOf", "@type": "@id"},
    "hasTopConcept": {"@id": "skos:hasTopConcept", "@type": "@id"},
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "narrower": {"@id": "skos:narrower", "@type": "@id"},
    "spatial": {"@id": "dct:spatial", "@type": "@id"},
    "accessRights": {"@id": "dct:accessRights", "@type": "@id"},
    "accrualPeriodicity": {"@id": "dct:accrualPeriodicity", "@type": "@id"},
    "landingPage": {"@id": "dcat:landingPage", "@type": "@id"},
    "contactPoint": {"@id": "dcat:contactPoint", "@type": "@id"},
    "hasEmail": {"@id": "vcard:hasEmail", "@type": "@id"},
    "hasURL": {"@id": "vcard:hasURL", "@type": "@id"},
    "distribution": {"@id": "dcat:distribution", "@type": "@id"},
    "accessURL": {"@id": "dcat:accessURL", "@type": "@id"},
    "downloadURL": {"@id": "dcat:downloadURL", "@type": "@id"},
    "accessService": {"@id": "dcat:accessService", "@type": "@id"},
    "format": {"@id": "dct:format", "@type": "@id"},
    "mediaType": {"@id": "dcat:mediaType", "@type": "@id"},
    "availability": {"@id": "dcatap:availability", "@type": "@id"},
    "license": {"@id": "dct:license", "@type": "@id"},
    "endpointURL": {"@id": "dcat:endpointURL", "@type": "@id"},
    "endpointDescription": {"@id": "dcat:endpointDescription", "@type": "@id"},
    "servesDataset": {"@id": "dcat:servesDataset", "@type": "@id"},
    "source": {"@id": "dct:source", "@type": "@id"},
    # Paging (catalog/dcat_pages.py): Hydra Core's collection terms.
    "PagedCollection": "hydra:PagedCollection",
    "totalItems": {"@id": "hydra:totalItems", "@type": "xsd:integer"},
    "itemsPerPage": {"@id": "hydra:itemsPerPage", "@type": "xsd:integer"},
    "first": {"@id": "hydra:first", "@type": "@id"},
    "last": {"@id": "hydra:last", "@type": "@id"},
    "next": {"@id": "hydra:next", "@type": "@id"},
    "previous": {"@id": "hydra:previous", "@type": "@id"},
    "firstPage": {"@id": "hydra:firstPage", "@type": "@id"},
    "lastPage": {"@id": "hydra:lastPage", "@type": "@id"},
    "nextPage": {"@id": "hydra:nextPage", "@type": "@id"},
    "previousPage": {"@id": "hydra:previousPage", "@type": "@id"},
}

__all__ = [
    "ACCESS_RIGHTS",
    "CONTEXT",
    "DATA_THEME_SCHEME",
    "EU",
    "EU_THEMES",
    "FREQUENCIES",
    "JSON_FILE_TYPE",
    "JSON_LD",
    "JSON_MEDIA_TYPE",
    "LANGUAGES",
    "RDF_SERIALISATIONS",
    "RDF_XML",
    "REGIONAL_AUTHORITY",
    "STABLE",
    "TURTLE",
]
