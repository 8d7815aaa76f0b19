"""The shared catalogue: dataset entries, the region registry, identifier formats, validation
and search."""

from __future__ import annotations

from catalog.formats import FORMAT_CHECKER
from catalog.i18n import DEFAULT_LANGUAGE, LANGUAGES, I18n
from catalog.issues import CatalogError, CatalogIssue
from catalog.loader import (
    SHARE_TYPES,
    Catalog,
    ContactPoint,
    Dataset,
    FieldInfo,
    Provider,
    load_catalog,
)
from catalog.regions import Region, RegionRegistry, load_regions
from catalog.search import SearchResult, search
from catalog.validation import MAX_SAFE_INTEGER, ValidationIssue, value_issue

__all__ = [
    "DEFAULT_LANGUAGE",
    "FORMAT_CHECKER",
    "LANGUAGES",
    "MAX_SAFE_INTEGER",
    "SHARE_TYPES",
    "Catalog",
    "CatalogError",
    "CatalogIssue",
    "ContactPoint",
    "Dataset",
    "FieldInfo",
    "I18n",
    "Provider",
    "Region",
    "RegionRegistry",
    "SearchResult",
    "ValidationIssue",
    "load_catalog",
    "load_regions",
    "search",
    "value_issue",
]
