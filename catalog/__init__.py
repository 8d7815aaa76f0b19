"""The shared catalogue: dataset entries, the region registry, the category taxonomy, identifier
formats, validation and search."""

from __future__ import annotations

from catalog.categories import Category, Domain, Taxonomy, load_categories
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
    load_catalog_directory,
)
from catalog.regions import Region, RegionRegistry, load_regions
from catalog.search import SearchResult, search
from catalog.search_index import SearchIndex
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
    "Category",
    "ContactPoint",
    "Dataset",
    "Domain",
    "FieldInfo",
    "I18n",
    "Provider",
    "Region",
    "RegionRegistry",
    "SearchIndex",
    "SearchResult",
    "Taxonomy",
    "ValidationIssue",
    "load_catalog",
    "load_catalog_directory",
    "load_categories",
    "load_regions",
    "search",
    "value_issue",
]
