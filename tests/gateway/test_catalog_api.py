"""Catalogue API and health endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS

from catalog import resident_id, uscc

from .conftest import bearer


def test_search_finds_chinese_substrings_with_facets(client: FlaskClient) -> None:
    body = client.get("/v1/catalog/datasets?q=企业").get_json()
    ids = [d["id"] for d in body["data"]]
    assert "market-entity-registration" in ids
    assert body["meta"]["total"] == len(ids)
    assert set(body["meta"]["facets"]) >= {"theme", "shareType", "level", "provider"}


def test_search_rejects_bad_parameters_with_problems(client: FlaskClient) -> None:
    for query in ("perPage=1000", "page=0", "sort=random", "level=9", "colour=red"):
        response = client.get(f"/v1/catalog/datasets?{query}")
        assert response.status_code == 400, query
        assert response.content_type == "application/problem+json"


def test_a_dataset_entry_lists_fields_nodes_and_regions(client: FlaskClient) -> None:
    body = client.get("/v1/catalog/datasets/market-entity-registration").get_json()["data"]
    fields = {f["name"]: f for f in body["fields"]}
    assert (
        fields["legalRepId"]["sensitivity"] == "resident-id" and fields["legalRepId"]["level"] == 3
    )
    assert fields["creditCode"]["filters"] == ["eq", "in"]
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes["beijing-haidian"]["regions"] == ["110108"]
    assert "130629" in nodes["hebei-xiongan"]["regions"]
    assert client.get("/v1/catalog/datasets/nope").status_code == 404


def test_the_region_tree_nests_districts_under_provinces(client: FlaskClient) -> None:
    tree = client.get("/v1/catalog/regions").get_json()["data"]
    beijing = next(r for r in tree if r["code"] == "110000")
    assert "110108" in {c["code"] for c in beijing["children"]}


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.get_json()["checks"]
    assert checks["database"]["status"] == "ok" and checks["nodes"]["tianjin"]["status"] == "ok"


def test_unknown_paths_and_methods_are_problems(client: FlaskClient) -> None:
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong = client.delete("/v1/catalog/datasets")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert client.get("/problems/grant-required").get_json()["status"] == 403


def test_oauth_errors_keep_the_rfc6749_format(client: FlaskClient) -> None:
    response = client.post("/oauth/token", data={"grant_type": "password"})
    assert response.status_code in (400, 401)
    assert "error" in response.get_json()
    assert client.get("/oauth/token").get_json()["error"] == "invalid_request"


def entry(client: FlaskClient, dataset_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/catalog/datasets/{dataset_id}")
    assert response.status_code == 200
    data: dict[str, Any] = response.get_json()["data"]
    return data


def test_unconditional_access_needs_the_lowest_tier_and_no_grant(client: FlaskClient) -> None:
    access = entry(client, "market-entity-registration")["access"]
    assert access["served"] and not access["grantRequired"]
    assert access["lowestTier"]["id"] == "open" and access["scope"] == "data:read"
    assert {p["id"] for p in access["purposes"]} >= {"credit-check", "statistics"}
    open_tier = access["tiers"][0]
    assert open_tier["id"] == "open"
    # The open tier reads level 1: the resident ID (level 3) never reaches it.
    assert "legalRepId" in open_tier["fields"]["dropped"]
    assert open_tier["fields"]["masked"]["legalRepName"] == "partial"


def test_conditional_access_needs_a_grant_and_a_high_enough_tier(client: FlaskClient) -> None:
    access = entry(client, "social-insurance-payment")["access"]
    assert access["grantRequired"] and access["served"]
    assert access["lowestTier"] == {
        "id": "government",
        "label": {"zh": "政务部门", "en": "Government"},
        "maxLevel": 3,
    }
    assert [t["id"] for t in access["tiers"]] == ["government", "regulator"]
    assert "grant" in access["summary"]["en"]


def test_a_dataset_that_is_not_shared_says_it_is_never_served(client: FlaskClient) -> None:
    body = entry(client, "household-registration")
    access = body["access"]
    assert not access["served"] and access["tiers"] == [] and access["lowestTier"] is None
    assert "never serves" in access["summary"]["en"]
    assert body["sampleRequest"] is None
    assert body["nodes"] == [] and body["regionsServed"] == []


def test_the_field_table_has_type_level_and_sensitivity(client: FlaskClient) -> None:
    fields = {f["name"]: f for f in entry(client, "social-insurance-payment")["fields"]}
    assert fields["residentId"] | {} == fields["residentId"] | {
        "type": "string",
        "format": "resident-id",
        "level": 3,
        "sensitivity": "resident-id",
        "required": True,
    }
    assert fields["regionCode"]["sensitivity"] is None and fields["regionCode"]["level"] == 1


def _path_of(url: str) -> str:
    return url.removeprefix("http://gateway.test")


@pytest.mark.parametrize("dataset_id", ["market-entity-registration", "air-quality-hourly"])
def test_the_sample_requests_are_requests_the_gateway_accepts(
    client: FlaskClient, token_for: Callable[..., str], dataset_id: str
) -> None:
    sample = entry(client, dataset_id)["sampleRequest"]
    assert sample["token"]["url"] == "http://gateway.test/oauth/token"
    assert "CLIENT_ID:CLIENT_SECRET" in sample["token"]["curl"]
    assert sample["token"]["shell"].startswith("TOKEN=$(")
    lookup, query, body = sample["keyLookup"], sample["query"], sample["queryBody"]
    for call in (lookup, query, body):
        assert call["url"].startswith("http://gateway.test/v1/datasets/")
        assert "Authorization: Bearer $TOKEN" in call["curl"]
        assert f"X-Purpose: {sample['purpose']}" in call["curl"]
    headers = bearer(token_for("partner"), sample["purpose"])
    # The made-up key is well formed: the lookup is routed and finds no record (or one).
    looked_up = client.get(_path_of(lookup["url"]), headers=headers)
    assert looked_up.status_code in (200, 404), looked_up.get_json()
    if looked_up.status_code == 404:
        assert looked_up.get_json()["type"] == "/problems/record-not-found"
    listed = client.get(_path_of(query["url"]), headers=headers)
    assert listed.status_code == 200, listed.get_json()
    assert listed.get_json()["data"], "the sample filter finds records in the demo data"
    posted = client.post(_path_of(body["url"]), json=body["body"], headers=headers)
    assert posted.status_code == 200, posted.get_json()


def test_sample_keys_follow_the_key_format_and_region(client: FlaskClient) -> None:
    sample = entry(client, "market-entity-registration")["sampleRequest"]
    key = sample["keyLookup"]["key"]
    assert uscc.is_valid(key)
    assert key[2:8] in entry(client, "market-entity-registration")["regionsServed"]
    person = entry(client, "social-insurance-payment")["sampleRequest"]
    assert resident_id.is_valid(person["keyLookup"]["key"])
    assert "grant" in person["note"]["en"]


def test_one_region_with_its_parents_and_children(client: FlaskClient) -> None:
    haidian = client.get("/v1/catalog/regions/110108").get_json()["data"]
    assert haidian["zh"] == "海淀区" and [p["code"] for p in haidian["parents"]] == ["110000"]
    hebei = client.get("/v1/catalog/regions/130000").get_json()["data"]
    assert "xiongan" in {c["code"] for c in hebei["children"]}
    assert hebei["links"]["datasets"] == "/v1/catalog/datasets?region=130000"
    missing = client.get("/v1/catalog/regions/440000")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_the_dcat_export_is_json_ld_about_this_gateway(client: FlaskClient) -> None:
    response = client.get("/v1/catalog/dcat")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    graph = Graph().parse(data=response.get_data(as_text=True), format="json-ld")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 9
    assert all(str(d).startswith("http://gateway.test/v1/catalog/datasets/") for d in datasets)
    # dct:spatial regions resolve on the gateway.
    for region in set(graph.objects(None, DCTERMS.spatial)):
        assert client.get(_path_of(str(region))).status_code == 200


# --- linked data: the export and the dataset IRIs in every RDF syntax --------------------------

MARKET_IRI = "http://gateway.test/v1/catalog/datasets/market-entity-registration"
RDF_SYNTAXES = [("text/turtle", "turtle"), ("application/rdf+xml", "xml")]


@pytest.mark.parametrize(("media_type", "syntax"), RDF_SYNTAXES)
def test_the_dcat_export_is_offered_in_turtle_and_rdf_xml(
    client: FlaskClient, media_type: str, syntax: str
) -> None:
    from rdflib.compare import isomorphic

    from catalog.dcat_rdf import rdf_graph

    json_ld = rdf_graph(client.get("/v1/catalog/dcat").get_json())
    response = client.get("/v1/catalog/dcat", headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    graph = Graph().parse(data=response.get_data(), format=syntax)
    assert isomorphic(graph, json_ld)
    assert Literal("市场主体登记信息", lang="zh") in set(
        graph.objects(URIRef(MARKET_IRI), DCTERMS.title)
    )


@pytest.mark.parametrize(("media_type", "syntax"), RDF_SYNTAXES)
def test_a_dataset_iri_dereferences_to_its_description_in_rdf(
    client: FlaskClient, media_type: str, syntax: str
) -> None:
    path = "/v1/catalog/datasets/market-entity-registration"
    response = client.get(path, headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    graph = Graph().parse(data=response.get_data(), format=syntax)
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {URIRef(MARKET_IRI)}
    distribution = graph.value(URIRef(MARKET_IRI), DCAT.distribution)
    assert graph.value(distribution, DCAT.accessURL) is not None
    assert (None, DCAT.Catalog, None) not in graph
    assert client.get(f"{path}?format=turtle").mimetype == "text/turtle"


def test_a_dataset_iri_answers_json_ld_when_asked(client: FlaskClient) -> None:
    response = client.get(
        "/v1/catalog/datasets/patent-grants", headers={"Accept": "application/ld+json"}
    )
    assert response.mimetype == "application/ld+json"
    ids = {node["id"] for node in response.get_json()["@graph"]}
    assert "http://gateway.test/v1/catalog/datasets/patent-grants" in ids


def test_a_browser_asking_for_a_dataset_iri_is_sent_to_its_page(client: FlaskClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(
        "/v1/catalog/datasets/market-entity-registration",
        headers={"Accept": browser, "Host": "evil.example"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/catalog/market-entity-registration"
    assert "Accept" in response.headers["Vary"]
    # A link a person follows can still ask for the JSON.
    linked = client.get(
        "/v1/catalog/datasets/market-entity-registration?format=json", headers={"Accept": browser}
    )
    assert linked.status_code == 200 and linked.mimetype == "application/json"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/*"])
def test_api_clients_still_get_the_entry_as_json(client: FlaskClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/v1/catalog/datasets/patent-grants", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["data"]["id"] == "patent-grants"


@pytest.mark.parametrize(
    "url",
    [
        "/v1/catalog/dcat?format=json",
        "/v1/catalog/dcat?format=csv",
        "/v1/catalog/datasets/patent-grants?format=turtle&format=json",
    ],
)
def test_an_unknown_format_is_a_400_problem(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    assert response.get_json()["errors"][0]["path"] == "$.query.format"


# --- the DCAT-AP export in pages ------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_the_dcat_pages_link_to_each_other_in_headers_and_in_the_document(
    client: FlaskClient,
) -> None:
    response = client.get("/v1/catalog/dcat?page=2&perPage=4")
    assert response.status_code == 200
    links = response.headers["Link"]
    assert '</v1/catalog/dcat?perPage=4&page=3>; rel="next"' in links
    assert '</v1/catalog/dcat?perPage=4&page=1>; rel="prev"' in links
    collection = next(n for n in response.get_json()["@graph"] if n["type"] == "PagedCollection")
    assert collection["totalItems"] == 9 and collection["itemsPerPage"] == 4
    assert collection["next"] == "http://gateway.test/v1/catalog/dcat?perPage=4&page=3"
    datasets = [n for n in response.get_json()["@graph"] if n["type"] == "Dataset"]
    assert len(datasets) == 4


def test_a_dcat_request_without_page_gets_the_first_page(client: FlaskClient) -> None:
    graph = client.get("/v1/catalog/dcat?perPage=2").get_json()["@graph"]
    collection = next(n for n in graph if n["type"] == "PagedCollection")
    assert collection["id"] == "http://gateway.test/v1/catalog/dcat?perPage=2&page=1"
    assert "previous" not in collection
    assert len([n for n in graph if n["type"] == "Dataset"]) == 2


@pytest.mark.parametrize(("media_type", "syntax"), RDF_SYNTAXES)
def test_every_rdf_syntax_is_paged_the_same_way(
    client: FlaskClient, media_type: str, syntax: str
) -> None:
    from rdflib.compare import isomorphic

    from catalog.dcat_rdf import rdf_graph

    url = "/v1/catalog/dcat?page=3&perPage=2"
    json_ld = rdf_graph(client.get(url).get_json())
    response = client.get(url, headers={"Accept": media_type})
    assert isomorphic(Graph().parse(data=response.get_data(), format=syntax), json_ld)
    assert 'rel="next"' in response.headers["Link"]
    # The next page of a Turtle page is Turtle again when the format was asked by parameter.
    turtle = client.get(f"{url}&format=turtle").get_data(as_text=True)
    assert "format=turtle&page=4" in turtle


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=1&page=2", "page"),
        ("perPage=0", "perPage"),
        ("perPage=501", "perPage"),
        ("perPage=%C2%B2", "perPage"),
        ("size=10", "size"),
    ],
)
def test_bad_dcat_paging_parameters_are_a_400_problem_naming_them(
    client: FlaskClient, query: str, parameter: str
) -> None:
    response = client.get(f"/v1/catalog/dcat?{query}")
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    assert response.get_json()["errors"][0]["path"] == f"$.query.{parameter}"


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_the_category_concepts_of_the_dcat_export_resolve_on_the_gateway(
    client: FlaskClient,
) -> None:
    from rdflib.namespace import SKOS

    graph = Graph().parse(
        data=client.get("/v1/catalog/dcat").get_data(as_text=True), format="json-ld"
    )
    concepts = {str(c) for c in graph.subjects(RDF.type, SKOS.Concept) if "/categories/" in str(c)}
    assert concepts
    for iri in concepts:
        assert client.get(_path_of(iri)).status_code == 200, iri
