"""The category taxonomy in the catalogue API: the tree, one node, and the search filters."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


def _json(client: FlaskClient, url: str, status: int = 200) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_the_tree_lists_every_domain_and_category_with_counts(client: FlaskClient) -> None:
    body = _json(client, "/v1/catalog/categories")
    assert body["meta"] == {"domains": 20, "categories": 256, "datasets": 9}
    domains = body["data"]
    assert [d["kind"] for d in domains] == ["domain"] * 20
    assert domains[0]["id"] == "economy"
    assert domains[0]["label"] == {"zh": "经济建设", "en": "Economic development"}
    assert sum(len(d["children"]) for d in domains) == 256
    assert sum(d["datasets"] for d in domains) == 9
    finance = next(d for d in domains if d["id"] == "finance-tax")
    assert finance["datasets"] == 2
    tax = next(c for c in finance["children"] if c["id"] == "tax-credit")
    assert tax == {
        "id": "tax-credit",
        "kind": "category",
        "label": {"zh": "纳税信用", "en": "Taxpayer credit ratings"},
        "domain": "finance-tax",
        "datasets": 1,
        "links": {
            "self": "/v1/catalog/categories/tax-credit",
            "datasets": "/v1/catalog/datasets?category=tax-credit",
        },
    }


def test_a_category_names_its_domain_and_links_to_its_datasets(client: FlaskClient) -> None:
    node = _json(client, "/v1/catalog/categories/patents")["data"]
    assert node["kind"] == "category" and node["datasets"] == 1
    assert node["parent"] == {
        "id": "education-science",
        "label": {"zh": "教育科技", "en": "Education and science"},
        "links": {"self": "/v1/catalog/categories/education-science"},
    }
    assert node["children"] == []
    found = _json(client, node["links"]["datasets"])["data"]
    assert [d["id"] for d in found] == ["patent-grants"]


def test_a_domain_lists_its_categories_and_links_to_its_datasets(client: FlaskClient) -> None:
    node = _json(client, "/v1/catalog/categories/finance-tax")["data"]
    assert node["kind"] == "domain" and node["parent"] is None
    assert node["datasets"] == 2 and len(node["children"]) == 13
    found = _json(client, node["links"]["datasets"])["data"]
    assert [d["id"] for d in found] == ["government-procurement", "tax-credit-rating"]


def test_an_unknown_category_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get("/v1/catalog/categories/no-such-thing")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert "no domain or category 'no-such-thing'" in response.get_json()["detail"]


def test_the_taxonomy_endpoints_refuse_unknown_parameters(client: FlaskClient) -> None:
    for url in ("/v1/catalog/categories?depth=1", "/v1/catalog/categories/patents?x=1"):
        assert client.get(url).status_code == 400, url


def test_a_dataset_summary_names_its_category_and_domain(client: FlaskClient) -> None:
    entry = _json(client, "/v1/catalog/datasets/market-entity-registration")["data"]
    assert (entry["category"], entry["domain"]) == ("market-entities", "market-supervision")


def test_search_filters_by_category_and_by_domain(client: FlaskClient) -> None:
    by_category = _json(client, "/v1/catalog/datasets?category=air-quality")
    assert [d["id"] for d in by_category["data"]] == ["air-quality-hourly"]
    by_domain = _json(client, "/v1/catalog/datasets?domain=public-safety&q=户籍")
    assert [d["id"] for d in by_domain["data"]] == ["household-registration"]
    both = _json(client, "/v1/catalog/datasets?domain=health&category=patents")
    assert both["meta"]["total"] == 0


def test_search_reports_domain_and_category_facets(client: FlaskClient) -> None:
    facets = _json(client, "/v1/catalog/datasets?domain=finance-tax")["meta"]["facets"]
    assert facets["category"] == {"government-procurement": 1, "tax-credit": 1}
    assert facets["domain"]["finance-tax"] == 2 and facets["domain"]["health"] == 1


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        ("category=patent", "$.query.category", "did you mean 'patents'?"),
        ("category=health", "$.query.category", "'health' is a domain, not a category"),
        ("domain=helth", "$.query.domain", "did you mean 'health'?"),
        ("domain=patents", "$.query.domain", "'patents' is a category, not a domain"),
        ("category=patents&category=trademarks", "$.query.category", "must be given once"),
    ],
)
def test_an_unknown_category_or_domain_filter_is_a_400_naming_it(
    client: FlaskClient, query: str, path: str, message: str
) -> None:
    response = client.get(f"/v1/catalog/datasets?{query}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    (error,) = response.get_json()["errors"]
    assert error["path"] == path
    assert message in error["message"]


def test_the_taxonomy_operations_are_in_the_openapi_document(client: FlaskClient) -> None:
    document = _json(client, "/openapi.json")
    tree = document["paths"]["/v1/catalog/categories"]["get"]
    assert tree["operationId"] == "getCategoryTree"
    one = document["paths"]["/v1/catalog/categories/{category_id}"]["get"]
    assert one["operationId"] == "getCategory"
    assert "404" in one["responses"]
    search = document["paths"]["/v1/catalog/datasets"]["get"]
    assert {"category", "domain"} <= {p["name"] for p in search["parameters"] if "name" in p}
    assert "CategoryNode" in document["components"]["schemas"]
