"""The category taxonomy as the API shows it: domains and categories with their labels, the
number of datasets in each, and links to those datasets (docs/api.md#categories)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from catalog import Catalog, Category, Domain

_BASE = "/v1/catalog/categories"


def dataset_counts(catalog: Catalog) -> Counter[str]:
    """Category id → the number of datasets classified in it."""
    return Counter(dataset.category for dataset in catalog)


def _reference(node: Domain | Category) -> dict[str, Any]:
    return {"id": node.id, "label": node.label.as_json(), "links": {"self": f"{_BASE}/{node.id}"}}


def category_node(category: Category, counts: Counter[str]) -> dict[str, Any]:
    return {
        "id": category.id,
        "kind": "category",
        "label": category.label.as_json(),
        "domain": category.domain,
        "datasets": counts[category.id],
        "links": {
            "self": f"{_BASE}/{category.id}",
            "datasets": f"/v1/catalog/datasets?category={category.id}",
        },
    }


def domain_node(domain: Domain, counts: Counter[str]) -> dict[str, Any]:
    return {
        "id": domain.id,
        "kind": "domain",
        "label": domain.label.as_json(),
        "datasets": sum(counts[c.id] for c in domain.categories),
        "links": {
            "self": f"{_BASE}/{domain.id}",
            "datasets": f"/v1/catalog/datasets?domain={domain.id}",
        },
        "children": [category_node(c, counts) for c in domain.categories],
    }


def taxonomy_tree(catalog: Catalog) -> list[dict[str, Any]]:
    """Every domain in the taxonomy's order, each with its categories and their counts."""
    counts = dataset_counts(catalog)
    return [domain_node(domain, counts) for domain in catalog.taxonomy]


def taxonomy_entry(catalog: Catalog, node_id: str) -> dict[str, Any] | None:
    """A domain (its categories as children) or a category (its domain as parent); None for an
    id the taxonomy does not have."""
    taxonomy = catalog.taxonomy
    counts = dataset_counts(catalog)
    domain = taxonomy.domain(node_id)
    if domain is not None:
        return {**domain_node(domain, counts), "parent": None}
    category = taxonomy.category(node_id)
    if category is None:
        return None
    parent = taxonomy.domain(category.domain)
    assert parent is not None  # a category of the taxonomy lies in one of its domains
    return {**category_node(category, counts), "parent": _reference(parent), "children": []}
