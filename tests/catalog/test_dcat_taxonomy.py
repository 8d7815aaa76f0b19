"""The category taxonomy in the DCAT-AP export: a SKOS concept scheme that is the catalogue's
dcat:themeTaxonomy, with zh and en labels, broader and narrower concepts, and each dataset's
category as one of its dcat:theme."""

from __future__ import annotations

import pytest
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCAT, SKOS

from catalog import Catalog
from catalog.dcat import dcat_catalog

from .test_dcat import BASE, PUBLICATION, SERVED, as_graph, shacl

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
SCHEME = URIRef(f"{BASE}/v1/catalog/dcat#categories")


def concept(node_id: str) -> URIRef:
    return URIRef(f"{BASE}/v1/catalog/categories/{node_id}")


def test_the_taxonomy_is_a_concept_scheme_and_the_catalogues_theme_taxonomy(
    catalog: Catalog,
) -> None:
    graph = as_graph(dcat_catalog(catalog, PUBLICATION, SERVED))
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in graph
    catalog_node = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert SCHEME in set(graph.objects(catalog_node, DCAT.themeTaxonomy))
    top = set(graph.objects(SCHEME, SKOS.hasTopConcept))
    assert top == {concept(domain.id) for domain in catalog.taxonomy}


def test_each_dataset_has_its_category_as_a_theme_with_labels_and_broader_domain(
    catalog: Catalog,
) -> None:
    graph = as_graph(dcat_catalog(catalog, PUBLICATION, SERVED))
    for dataset in catalog:
        node = URIRef(f"{BASE}/v1/catalog/datasets/{dataset.id}")
        category = catalog.taxonomy.category(dataset.category)
        assert category is not None
        assert concept(category.id) in set(graph.objects(node, DCAT.theme))
        assert (concept(category.id), SKOS.inScheme, SCHEME) in graph
        labels = set(graph.objects(concept(category.id), SKOS.prefLabel))
        assert {
            Literal(category.label.zh, lang="zh"),
            Literal(category.label.en, lang="en"),
        } <= labels
        domain = concept(category.domain)
        assert graph.value(concept(category.id), SKOS.broader) == domain
        assert concept(category.id) in set(graph.objects(domain, SKOS.narrower))
        assert (domain, SKOS.topConceptOf, SCHEME) in graph


def test_a_page_with_the_taxonomy_still_conforms_to_the_shapes(catalog: Catalog) -> None:
    first = next(iter(catalog))
    graph = as_graph(dcat_catalog(catalog, PUBLICATION, SERVED, [first]))
    conforms, results = shacl(graph)
    assert conforms, results.serialize(format="turtle")
    described = set(graph.subjects(RDF.type, SKOS.Concept))
    assert concept(first.category) in described
    # Only the concepts its dataset uses (and their domains), not the whole taxonomy.
    assert len([c for c in described if "/categories/" in str(c)]) == 2
