"""The category taxonomy in the DCAT-AP export as a SKOS concept scheme: the catalogue's
dcat:themeTaxonomy, a skos:Concept per domain and per category (zh and en skos:prefLabel,
skos:broader and skos:narrower between them), each dataset's category its dcat:theme.

A concept is named by its address in the catalogue API (``/v1/catalog/categories/<id>``), so
its IRI resolves; a page of the export describes the concepts its datasets use and the domains
above them, and names every top concept and every narrower one, so a harvester can walk the
whole scheme.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from catalog.categories import Taxonomy


def scheme_iri(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/v1/catalog/dcat#categories"


def concept_iri(base_url: str, node_id: str) -> str:
    """The IRI of a domain or category: its address in the catalogue API."""
    return f"{base_url.rstrip('/')}/v1/catalog/categories/{node_id}"


def taxonomy_nodes(taxonomy: Taxonomy, used: Iterable[str], base_url: str) -> list[dict[str, Any]]:
    """The scheme, the categories ``used`` (ids of the taxonomy) and their domains."""
    scheme = scheme_iri(base_url)
    categories = sorted({c for c in used if taxonomy.category(c) is not None})
    domains = sorted({taxonomy.domain_id_of(c) for c in categories})
    nodes: list[dict[str, Any]] = [
        {
            "id": scheme,
            "type": "ConceptScheme",
            "title": {"zh": "公共数据目录分类", "en": "Public data catalogue categories"},
            "hasTopConcept": [concept_iri(base_url, d.id) for d in taxonomy],
        }
    ]
    for domain_id in domains:
        domain = taxonomy.domain(domain_id)
        assert domain is not None  # the domain of a category of the taxonomy
        nodes.append(
            {
                "id": concept_iri(base_url, domain.id),
                "type": "Concept",
                "inScheme": scheme,
                "topConceptOf": scheme,
                "notation": domain.id,
                "prefLabel": domain.label.as_json(),
                "narrower": [concept_iri(base_url, c.id) for c in domain.categories],
            }
        )
    for category_id in categories:
        category = taxonomy.category(category_id)
        assert category is not None
        nodes.append(
            {
                "id": concept_iri(base_url, category.id),
                "type": "Concept",
                "inScheme": scheme,
                "notation": category.id,
                "prefLabel": category.label.as_json(),
                "broader": concept_iri(base_url, category.domain),
            }
        )
    return nodes


__all__ = ["concept_iri", "scheme_iri", "taxonomy_nodes"]
