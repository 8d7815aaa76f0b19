"""The DCAT-AP export in pages: every dataset on exactly one page, each page a whole DCAT-AP
document that passes the shapes, and a hydra:PagedCollection that leads to the other pages."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import RDF, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, SH, XSD

from catalog import Catalog
from catalog.dcat_pages import dcat_page, page_count

from .test_dcat import BASE, KNOWN_GAPS, PUBLICATION, SERVED, as_graph, findings, shacl

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def page_url(number: int) -> str:
    return f"{BASE}/v1/catalog/dcat?page={number}&perPage=2"


def page(catalog: Catalog, number: int, per_page: int = 2) -> dict[str, Any]:
    return dcat_page(
        catalog, PUBLICATION, SERVED, page=number, per_page=per_page, page_url=page_url
    )


def test_the_pages_list_every_dataset_exactly_once(catalog: Catalog) -> None:
    listed: list[str] = []
    pages = page_count(len(catalog), 2)
    assert pages == 5
    for number in range(1, pages + 1):
        graph = as_graph(page(catalog, number))
        on_page = {str(d) for d in graph.subjects(RDF.type, DCAT.Dataset)}
        catalog_node = next(graph.subjects(RDF.type, DCAT.Catalog))
        assert {str(d) for d in graph.objects(catalog_node, DCAT.dataset)} == on_page
        listed.extend(on_page)
    assert sorted(listed) == [f"{BASE}/v1/catalog/datasets/{d.id}" for d in catalog]


def test_a_page_conforms_to_the_dcat_ap_shapes(catalog: Catalog) -> None:
    graph = as_graph(page(catalog, 2))
    conforms, results = shacl(graph)
    assert conforms, results.serialize(format="turtle")
    assert findings(graph, results, SH.Warning) <= KNOWN_GAPS


def test_the_paged_collection_leads_to_the_other_pages(catalog: Catalog) -> None:
    graph = as_graph(page(catalog, 2))
    collection = URIRef(page_url(2))
    assert (collection, RDF.type, HYDRA.PagedCollection) in graph
    assert graph.value(collection, HYDRA.totalItems) == Literal(9, datatype=XSD.integer)
    assert graph.value(collection, HYDRA.itemsPerPage) == Literal(2, datatype=XSD.integer)
    expected = {"first": 1, "last": 5, "next": 3, "previous": 1}
    for relation, number in expected.items():
        assert graph.value(collection, HYDRA[relation]) == URIRef(page_url(number))
        assert graph.value(collection, HYDRA[f"{relation}Page"]) == URIRef(page_url(number))


def test_the_first_and_last_pages_have_no_previous_and_no_next(catalog: Catalog) -> None:
    first = as_graph(page(catalog, 1))
    assert first.value(URIRef(page_url(1)), HYDRA.previous) is None
    last = as_graph(page(catalog, 5))
    assert last.value(URIRef(page_url(5)), HYDRA.next) is None
    assert len(set(last.subjects(RDF.type, DCAT.Dataset))) == 1


def test_a_page_describes_only_what_its_datasets_reference(catalog: Catalog) -> None:
    graph = as_graph(page(catalog, 1, per_page=1))
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    service = next(graph.subjects(RDF.type, DCAT.DataService))
    assert set(graph.objects(service, DCAT.servesDataset)) <= {dataset}
    publishers = set(graph.subjects(RDF.type, URIRef("http://xmlns.com/foaf/0.1/Agent")))
    # The gateway that publishes the catalogue and the one provider of the page's dataset.
    assert len(publishers) == 2


def test_a_page_past_the_last_lists_no_dataset_but_leads_back(catalog: Catalog) -> None:
    graph = as_graph(page(catalog, 9))
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == set()
    collection = URIRef(page_url(9))
    assert graph.value(collection, HYDRA.previous) == URIRef(page_url(5))
    assert graph.value(collection, HYDRA.next) is None
