"""DCAT-AP 3.0 export: parsed as RDF with rdflib (its @context inline: no network) and validated
with pyshacl against shapes written from the DCAT-AP 3.0 mandatory and recommended properties."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SH
from rdflib.term import Node

from catalog import Catalog, I18n
from catalog.dcat import ACCESS_RIGHTS, Publication, covering_regions, dcat_catalog, dcat_dataset
from catalog.dcat_rdf import RDF_XML, TURTLE, rdf_graph, serialise

SHAPES = Path(__file__).with_name("dcat_ap_shapes.ttl")
DCATAP = Namespace("http://data.europa.eu/r5r/")
BASE = "http://gateway.test"
PUBLICATION = Publication(
    base_url=BASE,
    title=I18n("京津冀公共数据目录", "Beijing-Tianjin-Hebei Public Data Catalogue"),
    description=I18n("三地可共享的公共数据。", "Public data shared across the three regions."),
    publisher=I18n("京津冀公共数据共享网关", "Beijing-Tianjin-Hebei public data gateway"),
    service_title=I18n("数据接口", "Data API"),
    service_description=I18n("以 OAuth 2.0 访问。", "Reached with OAuth 2.0."),
)
# The leaf regions nodes serve each dataset for, as the gateway reports them.
SERVED = {"market-entity-registration": frozenset({"110108"})}

# rdflib's JSON-LD parser builds a ConjunctiveGraph internally, which rdflib itself deprecates.
rdflib_internal = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)
# Recommended DCAT-AP properties the demo catalogue has no data for: no entry names a temporal
# coverage, the catalogue has no licence or release date of its own, and a dataset that is never
# served has no distribution to describe.
KNOWN_GAPS = {
    (DCAT.Catalog, DCTERMS.license),
    (DCAT.Catalog, DCTERMS.issued),
    (DCAT.Dataset, DCTERMS.temporal),
    (DCAT.Dataset, DCAT.distribution),
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Parsing must not fetch a context or anything else."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the DCAT-AP export made a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def as_graph(document: dict[str, Any]) -> Graph:
    return Graph().parse(data=json.dumps(document, ensure_ascii=False), format="json-ld")


def shacl(graph: Graph) -> tuple[bool, Graph]:
    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, results, _text = validate(
        graph, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    return bool(conforms), results


def findings(graph: Graph, results: Graph, severity: URIRef) -> set[tuple[Node, Node | None]]:
    """(class of the focus node, property path) of every result of a severity."""
    out = set()
    for result in results.subjects(SH.resultSeverity, severity):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        for kind in graph.objects(focus, RDF.type):
            out.add((kind, path))
    return out


@pytest.fixture
def export(catalog: Catalog) -> dict[str, Any]:
    return dcat_catalog(catalog, PUBLICATION, SERVED)


@rdflib_internal
def test_the_export_conforms_to_the_dcat_ap_shapes(export: dict[str, Any]) -> None:
    graph = as_graph(export)
    conforms, results = shacl(graph)
    assert conforms, results.serialize(format="turtle")
    assert findings(graph, results, SH.Violation) == set()
    assert findings(graph, results, SH.Warning) <= KNOWN_GAPS


@rdflib_internal
def test_a_dataset_lacking_a_description_fails_validation(catalog: Catalog) -> None:
    entry = catalog.datasets["patent-grants"]
    broken = dataclasses.replace(entry, description=I18n("", ""))
    modified = dataclasses.replace(
        catalog, datasets=MappingProxyType({**catalog.datasets, entry.id: broken})
    )
    graph = as_graph(dcat_catalog(modified, PUBLICATION, SERVED))
    conforms, results = shacl(graph)
    assert not conforms
    assert (DCAT.Dataset, DCTERMS.description) in findings(graph, results, SH.Violation)


@rdflib_internal
def test_a_dataset_with_one_language_only_fails_validation(export: dict[str, Any]) -> None:
    for node in export["@graph"]:
        if node["type"] == "Dataset":
            del node["title"]["en"]
    graph = as_graph(export)
    conforms, results = shacl(graph)
    assert not conforms
    assert (DCAT.Dataset, DCTERMS.title) in findings(graph, results, SH.Violation)


@rdflib_internal
def test_a_distribution_without_access_url_fails_validation(export: dict[str, Any]) -> None:
    for node in export["@graph"]:
        if node["type"] == "Distribution":
            del node["accessURL"]
    graph = as_graph(export)
    conforms, results = shacl(graph)
    assert not conforms
    assert (DCAT.Distribution, DCAT.accessURL) in findings(graph, results, SH.Violation)


def test_the_context_is_inline(export: dict[str, Any]) -> None:
    assert isinstance(export["@context"], dict)
    assert export["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"


@rdflib_internal
def test_every_dataset_has_titles_and_descriptions_in_chinese_and_english(
    export: dict[str, Any], catalog: Catalog
) -> None:
    graph = as_graph(export)
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == len(catalog)
    market = URIRef(f"{BASE}/v1/catalog/datasets/market-entity-registration")
    assert Literal("市场主体登记信息", lang="zh") in set(graph.objects(market, DCTERMS.title))
    assert Literal("Market entity registration", lang="en") in set(
        graph.objects(market, DCTERMS.title)
    )
    assert Literal("企业", lang="zh") in set(graph.objects(market, DCAT.keyword))
    for dataset in datasets:
        languages = {cast(Literal, o).language for o in graph.objects(dataset, DCTERMS.description)}
        assert languages == {"zh", "en"}


@rdflib_internal
def test_access_rights_follow_the_share_type(export: dict[str, Any], catalog: Catalog) -> None:
    graph = as_graph(export)
    eu = "http://publications.europa.eu/resource/authority/access-right/"
    expected = {"unconditional": "PUBLIC", "conditional": "RESTRICTED", "none": "NON_PUBLIC"}
    for dataset in catalog:
        node = URIRef(f"{BASE}/v1/catalog/datasets/{dataset.id}")
        rights = graph.value(node, DCTERMS.accessRights)
        assert (
            rights
            == URIRef(eu + expected[dataset.share_type])
            == URIRef(ACCESS_RIGHTS[dataset.share_type])
        )


@rdflib_internal
def test_served_datasets_have_an_api_distribution_and_the_data_service(
    export: dict[str, Any], catalog: Catalog
) -> None:
    graph = as_graph(export)
    service = next(graph.subjects(RDF.type, DCAT.DataService))
    assert graph.value(service, DCAT.endpointURL) == URIRef(f"{BASE}/v1")
    assert graph.value(service, DCAT.endpointDescription) == URIRef(f"{BASE}/openapi.json")
    served = set(graph.objects(service, DCAT.servesDataset))
    for dataset in catalog:
        node = URIRef(f"{BASE}/v1/catalog/datasets/{dataset.id}")
        distribution = graph.value(node, DCAT.distribution)
        if dataset.share_type == "none":
            assert distribution is None and node not in served
            continue
        assert node in served
        assert graph.value(distribution, DCAT.accessURL) == URIRef(
            f"{BASE}/v1/datasets/{dataset.id}/records"
        )
        assert graph.value(distribution, DCAT.accessService) == service
        assert graph.value(distribution, DCAT.mediaType) == URIRef(
            "http://www.iana.org/assignments/media-types/application/json"
        )
    assert graph.value(node, DCAT.landingPage) is not None


@rdflib_internal
def test_publishers_themes_frequency_and_spatial_coverage(export: dict[str, Any]) -> None:
    graph = as_graph(export)
    market = URIRef(f"{BASE}/v1/catalog/datasets/market-entity-registration")
    publisher = graph.value(market, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert Literal("市场监督管理局", lang="zh") in set(graph.objects(publisher, FOAF.name))
    themes = set(graph.objects(market, DCAT.theme))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/ECON") in themes
    assert graph.value(market, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/DAILY"
    )
    spatial = set(graph.objects(market, DCTERMS.spatial))
    assert spatial == {
        URIRef(f"{BASE}/v1/catalog/regions/{c}") for c in ("110000", "120000", "130000")
    }
    beijing = URIRef(f"{BASE}/v1/catalog/regions/110000")
    assert (beijing, RDF.type, DCTERMS.Location) in graph
    catalog_node = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert (catalog_node, DCTERMS.publisher, None) in graph
    assert graph.value(catalog_node, DCTERMS.modified) is not None
    air = URIRef(f"{BASE}/v1/catalog/datasets/air-quality-hourly")
    assert graph.value(air, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/HOURLY"
    )
    assert (
        graph.value(
            URIRef(f"{BASE}/v1/catalog/datasets/market-entity-registration#api"),
            DCATAP.availability,
        )
        is not None
    )


def test_covering_regions_names_whole_regions_only(catalog: Catalog) -> None:
    registry = catalog.regions
    assert covering_regions(registry, registry.leaves("110000")) == ["110000"]
    assert covering_regions(registry, {"110108"}) == ["110108"]
    assert covering_regions(registry, registry.leaves("xiongan")) == ["130629", "130632", "130638"]
    assert covering_regions(registry, registry.leaves("130600")) == ["130600"]
    assert covering_regions(registry, set()) == []


SYNTAXES = [(TURTLE, "turtle"), (RDF_XML, "xml")]


@pytest.mark.parametrize(("media_type", "syntax"), SYNTAXES)
def test_the_export_conforms_in_turtle_and_rdf_xml_too(
    export: dict[str, Any], media_type: str, syntax: str
) -> None:
    graph = Graph().parse(data=serialise(export, media_type), format=syntax)
    conforms, results = shacl(graph)
    assert conforms, results.serialize(format="turtle")
    assert findings(graph, results, SH.Warning) <= KNOWN_GAPS
    assert len(graph) == len(rdf_graph(export))


def test_each_dataset_description_conforms_on_its_own(
    export: dict[str, Any], catalog: Catalog
) -> None:
    for dataset in catalog:
        iri = f"{BASE}/v1/catalog/datasets/{dataset.id}"
        description = dcat_dataset(export, iri)
        assert description is not None
        for media_type, syntax in SYNTAXES:
            graph = Graph().parse(data=serialise(description, media_type), format=syntax)
            assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {URIRef(iri)}
            conforms, results = shacl(graph)
            assert conforms, (dataset.id, results.serialize(format="turtle"))
    assert dcat_dataset(export, f"{BASE}/v1/catalog/datasets/no-such-dataset") is None
    assert dcat_dataset(export, f"{BASE}/v1/catalog/dcat#publisher") is None


def test_served_datasets_give_contact_licence_issued_and_download_url(
    export: dict[str, Any], catalog: Catalog
) -> None:
    graph = rdf_graph(export)
    for dataset in catalog:
        node = URIRef(f"{BASE}/v1/catalog/datasets/{dataset.id}")
        assert graph.value(node, DCAT.contactPoint) is not None
        assert graph.value(node, DCTERMS.issued) is not None
        if dataset.share_type == "none":
            continue
        distribution = graph.value(node, DCAT.distribution)
        assert graph.value(distribution, DCTERMS.license) is not None
        assert graph.value(distribution, DCAT.downloadURL) == URIRef(
            f"{BASE}/v1/datasets/{dataset.id}/records"
        )
