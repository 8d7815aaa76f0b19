"""Catalogue API and health endpoints."""

from __future__ import annotations

from flask.testing import FlaskClient


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
