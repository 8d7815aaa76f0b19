"""The OpenAPI 3.1 descriptions: /openapi.json valid, complete (every route the app registers)
and the same size however large the catalogue; each dataset's own document valid, typed and
standalone; all rendered at /docs by the gateway itself."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from catalog import FORMAT_CHECKER
from catalog.loader import default_datasets_directory
from gateway.core.settings import load_settings
from gateway.demo import GenerationReport
from gateway.http.api import docs
from gateway.http.openapi.document import declared_operations, openapi_document, openapi_path
from gateway.services import Configuration, load_configuration

from .conftest import app_settings, bearer, running_app

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


ME = "market-entity-registration"


def dataset_document(client: FlaskClient, dataset_id: str = ME) -> dict[str, Any]:
    response = client.get(f"/v1/datasets/{dataset_id}/openapi.json")
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.fixture
def market(client: FlaskClient) -> dict[str, Any]:
    return dataset_document(client)


def registered(app: Flask) -> list[tuple[str, str, str]]:
    """(OpenAPI path, method, endpoint) of every rule the app serves, static files aside."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            out.append((openapi_path(rule.rule)[0], method.lower(), rule.endpoint))
    return out


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_every_registered_route_is_described(app: Flask, document: dict[str, Any]) -> None:
    routes = registered(app)
    assert len(routes) > 30
    for path, method, endpoint in routes:
        assert method in document["paths"].get(path, {}), f"{endpoint}: {method} {path}"


def test_every_api_route_has_its_own_description(app: Flask) -> None:
    """A new route under /v1, /oauth or /.well-known needs a declaration next to its view
    (gateway.http.contract.Operation), not just the docstring fallback."""
    operations = declared_operations(app)
    for path, method, endpoint in registered(app):
        if path.startswith(("/v1/", "/oauth/", "/.well-known/")):
            assert endpoint in operations, f"{endpoint} ({method} {path}) has no description"


def test_a_new_route_cannot_be_forgotten(app: Flask, configuration: Configuration) -> None:
    extra = Blueprint("extra", __name__)

    @extra.get("/v1/extra/<int:number>")
    def number(number: int) -> str:
        """A route added after the description was written."""
        return str(number)

    app.register_blueprint(extra)
    document = openapi_document(app, configuration.policies, "http://gateway.test")
    operation = document["paths"]["/v1/extra/{number}"]["get"]
    assert operation["summary"] == "A route added after the description was written."
    assert operation["parameters"][0]["schema"] == {"type": "integer"}
    validate(document)


def test_path_parameters_become_openapi_templates() -> None:
    assert openapi_path("/v1/datasets/<dataset_id>/records/<path:key>") == (
        "/v1/datasets/{dataset_id}/records/{key}",
        {"dataset_id": "default", "key": "path"},
    )


def test_oauth2_client_credentials_and_the_scope_of_each_operation(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "http://gateway.test/oauth/token"
    assert set(flow["scopes"]) == {"data:read", "catalog:read", "audit:read", "admin"}
    paths = document["paths"]
    assert paths["/v1/datasets/{dataset_id}/records"]["get"]["security"] == [
        {"oauth2": ["data:read"]}
    ]
    assert paths["/v1/audit/exchanges"]["get"]["security"] == [{"oauth2": ["audit:read"]}]
    assert paths["/v1/admin/grants"]["post"]["security"] == [{"oauth2": ["admin"]}]
    assert paths["/v1/catalog/datasets"]["get"]["security"] == []
    assert {"clientSecretBasic": []} in paths["/oauth/token"]["post"]["security"]


def test_problem_responses_are_problem_json(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    records = document["paths"]["/v1/datasets/{dataset_id}/records"]["get"]["responses"]
    for status in ("400", "401", "403", "404", "429", "500", "502", "503", "504"):
        name = records[status]["$ref"].rsplit("/", 1)[-1]
        content = responses[name]["content"]
        assert content == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert "/problems/grant-required" in responses["Problem403"]["description"]
    assert "Retry-After" in responses["Problem429"]["headers"]
    assert "WWW-Authenticate" in responses["Problem401"]["headers"]
    token = document["paths"]["/oauth/token"]["post"]["responses"]
    assert token["400"]["content"]["application/json"]["schema"]["$ref"].endswith("OAuthError")


def test_each_dataset_document_is_valid_standalone_openapi_3_1(
    client: FlaskClient, document: dict[str, Any], configuration: Configuration
) -> None:
    """Its own security schemes and problem answers: no reference leaves the document."""
    for dataset in configuration.catalog:
        own = dataset_document(client, dataset.id)
        assert own["openapi"] == document["openapi"]
        validate(own)
        assert own["components"]["securitySchemes"] == document["components"]["securitySchemes"]
        assert own["components"]["responses"] == document["components"]["responses"]
        assert dataset.title.en in own["info"]["title"]
        refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(own))
        assert refs and all(ref.startswith("#/components/") for ref in refs)


def test_each_dataset_has_a_record_schema_with_its_annotations(
    client: FlaskClient, configuration: Configuration
) -> None:
    for dataset in configuration.catalog:
        schemas = dataset_document(client, dataset.id)["components"]["schemas"]
        name = "".join(p.capitalize() for p in dataset.id.split("-"))
        record = schemas[f"{name}Record"]
        assert set(record["properties"]) == set(dataset.fields)
    schemas = dataset_document(client)["components"]["schemas"]
    market = schemas["MarketEntityRegistrationRecord"]["properties"]
    assert market["legalRepId"]["x-level"] == 3
    assert market["legalRepId"]["x-sensitivity"] == "resident-id"
    assert "Personal data (resident-id)" in market["legalRepId"]["description"]
    assert market["creditCode"]["format"] == "uscc"


def test_each_served_dataset_has_typed_operations_with_its_filters(
    client: FlaskClient, market: dict[str, Any]
) -> None:
    paths = market["paths"]
    assert set(paths) == {
        f"/v1/datasets/{ME}/records",
        f"/v1/datasets/{ME}/records/{{key}}",
        f"/v1/datasets/{ME}/query",
    }
    listing = paths["/v1/datasets/market-entity-registration/records"]["get"]
    names = {p.get("name") for p in listing["parameters"]}
    assert {"creditCode", "creditCode.in", "name.prefix", "establishedDate.gte"} <= names
    assert "legalRepId" not in names  # not in the query schema
    status = next(p for p in listing["parameters"] if p.get("name") == "status")
    assert "注销" in status["schema"]["enum"]
    assert "/v1/datasets/market-entity-registration/records/{key}" in paths
    query = paths["/v1/datasets/market-entity-registration/query"]["post"]
    assert query["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MarketEntityRegistrationQuery"
    }
    csv = listing["responses"]["200"]["content"]["text/csv"]
    assert csv["schema"] == {"$ref": "#/components/schemas/RecordsCsv"}
    unshared = dataset_document(client, "household-registration")
    assert unshared["paths"] == {} and unshared["tags"] == []
    assert "HouseholdRegistrationRecord" in unshared["components"]["schemas"]


def test_the_gateways_document_holds_no_dataset_and_points_to_theirs(
    document: dict[str, Any], configuration: Configuration
) -> None:
    text = json.dumps(document)
    for dataset in configuration.catalog:
        assert dataset.id not in text, dataset.id
        assert f"{''.join(p.capitalize() for p in dataset.id.split('-'))}Record" not in text
    own = document["paths"]["/v1/datasets/{dataset_id}/openapi.json"]["get"]
    assert own["security"] == [] and "404" in own["responses"]
    pointer = document["x-dataset-documents"]
    assert pointer["href"] == "http://gateway.test/v1/datasets/{dataset_id}/openapi.json"
    assert pointer["docs"] == "http://gateway.test/docs/datasets/{dataset_id}"
    assert "/v1/datasets/{dataset_id}/openapi.json" in document["info"]["description"]


def _grown_catalogue(folder: Path, copies: int) -> Path:
    """The demo catalogue with ``copies`` more entries of each dataset, under new ids."""
    shutil.copytree(default_datasets_directory(), folder / "datasets")
    for shared in ("regions.yaml", "categories.yaml"):
        shutil.copy(default_datasets_directory().parent / shared, folder / shared)
    for entry in sorted((folder / "datasets").glob("*.yaml")):
        for n in range(copies):
            data = yaml.safe_load(entry.read_text("utf-8"))
            data["id"] = f"{data['id']}-{n}"
            (folder / "datasets" / f"{data['id']}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True), "utf-8"
            )
    return folder


@pytest.fixture(scope="module")
def grown(
    tmp_path_factory: pytest.TempPathFactory, demo_data: GenerationReport
) -> Iterator[FlaskClient]:
    """A gateway whose catalogue holds each demo dataset three times (27 entries)."""
    folder = _grown_catalogue(tmp_path_factory.mktemp("grown-catalog"), copies=2)
    configuration = load_configuration(load_settings({"catalog_dir": folder}, environ={}))
    assert len(configuration.catalog) == 27
    instance = tmp_path_factory.mktemp("grown") / "instance"
    with running_app(app_settings(instance, demo_data), configuration) as app:
        yield app.test_client()


def test_the_gateways_document_is_the_same_however_large_the_catalogue(
    grown: FlaskClient, document: dict[str, Any]
) -> None:
    assert grown.get("/openapi.json").get_json() == document
    copy = dataset_document(grown, f"{ME}-1")
    assert f"/v1/datasets/{ME}-1/query" in copy["paths"]
    validate(copy)


def test_the_catalogue_entry_and_the_dataset_page_link_the_datasets_document(
    client: FlaskClient,
) -> None:
    """Found by following links, from the search, the entry or the page."""
    entry = client.get(f"/v1/catalog/datasets/{ME}").get_json()["data"]["links"]
    listed = client.get("/v1/catalog/datasets?q=市场主体").get_json()["data"][0]["links"]
    assert entry == listed
    assert entry["openapi"] == f"/v1/datasets/{ME}/openapi.json"
    assert entry["docs"] == f"/docs/datasets/{ME}"
    validate(client.get(entry["openapi"]).get_json())
    assert client.get(entry["docs"]).status_code == 200
    page = client.get(f"/catalog/{ME}?lang=en").get_data(as_text=True)
    assert f'href="{entry["openapi"]}"' in page
    assert f'href="{entry["docs"]}?lang=en"' in page


def test_an_unknown_dataset_has_no_document(client: FlaskClient) -> None:
    """A public answer like /openapi.json: no token, no exchange id, a problem."""
    response = client.get("/v1/datasets/no-such-dataset/openapi.json")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "/problems/dataset-not-found"
    assert "X-Exchange-Id" not in response.headers
    found = client.get(f"/v1/datasets/{ME}/openapi.json")
    assert "X-Exchange-Id" not in found.headers
    assert found.headers["Cache-Control"].startswith("public")


def _validator(document: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


@pytest.mark.parametrize("tier", ["open", "partner", "government"])
def test_records_as_served_satisfy_their_schema(
    client: FlaskClient,
    market: dict[str, Any],
    token_for: Callable[..., str],
    tier: str,
) -> None:
    """Masked values (张*, pseudonyms, generalised dates) and dropped fields included."""
    headers = bearer(token_for(tier))
    response = client.get(
        "/v1/datasets/market-entity-registration/records?limit=20", headers=headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["data"]
    errors = list(_validator(market, "MarketEntityRegistrationRecordPage").iter_errors(body))
    assert errors == []
    lookup = client.get(
        f"/v1/datasets/market-entity-registration/records/{body['data'][0]['creditCode']}",
        headers=headers,
    ).get_json()
    assert (
        list(_validator(market, "MarketEntityRegistrationRecordResponse").iter_errors(lookup)) == []
    )


def test_a_query_body_schema_accepts_what_the_gateway_accepts(market: dict[str, Any]) -> None:
    validator = _validator(market, "MarketEntityRegistrationQuery")
    assert validator.is_valid(
        {"filter": {"status": "存续", "registeredCapital": {"gte": 100}}, "limit": 5}
    )
    assert not validator.is_valid({"filter": {"legalRepId": "x"}})
    assert not validator.is_valid({"filter": {"name": {"gte": "a"}}})


def test_the_reference_page_is_served_without_scripts_or_inline_styles(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    html = page.get_data(as_text=True)
    assert "<script" not in html and " style=" not in html and "<style" not in html
    assert not re.search(r"(src|href)=\"https?://", html), "no external assets"
    for path in document["paths"]:
        assert f">{path}<" in html.replace("&#39;", "'"), path
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert stylesheet is not None
    css = client.get(stylesheet.group(1))
    assert css.status_code == 200 and css.mimetype == "text/css"
    css.close()


def test_the_verification_answer_satisfies_its_schema_with_its_anchoring(
    client: FlaskClient, document: dict[str, Any], token_for: Callable[..., str]
) -> None:
    answer = client.get(
        "/v1/audit/verify", headers={"Authorization": f"Bearer {token_for('regulator')}"}
    ).get_json()
    schema = document["components"]["schemas"]["Verification"]
    assert {"status", "anchoredThrough", "headAnchored"} <= set(schema["required"])
    assert list(_validator(document, "Verification").iter_errors(answer)) == []


def test_the_reference_speaks_the_catalogues_languages_in_its_layout(client: FlaskClient) -> None:
    chinese = client.get("/docs")
    assert chinese.headers["Content-Language"] == "zh-CN"
    html = chinese.get_data(as_text=True)
    assert "<h1>API 参考</h1>" in html and 'class="site-nav"' in html
    assert 'href="/docs?lang=en"' in html  # the language switch
    english = client.get("/docs?lang=en").get_data(as_text=True)
    assert "<h1>API reference</h1>" in english
    assert 'href="/docs/records?lang=en"' in english  # links keep the language
    assert 'href="/docs/datasets?lang=en"' in english


def test_no_reference_page_holds_every_datasets_schemas(
    client: FlaskClient, configuration: Configuration
) -> None:
    overview = client.get("/docs").get_data(as_text=True)
    assert 'class="schema"' not in overview
    for dataset_id, own in (
        ("air-quality-hourly", "AirQualityHourlyRecord"),
        (ME, "MarketEntityRegistrationRecord"),
    ):
        page = client.get(f"/docs/datasets/{dataset_id}?lang=en")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert re.findall(r'id="schema-(\w+Record)"', html) == [own]
        assert f'href="/v1/datasets/{dataset_id}/openapi.json"' in html
        for path in dataset_document(client, dataset_id)["paths"]:
            assert f">{path}<" in html, path
    unshared = client.get("/docs/datasets/household-registration?lang=en").get_data(as_text=True)
    assert (
        "it has no operations" in unshared and 'id="schema-HouseholdRegistrationRecord"' in unshared
    )
    assert client.get("/docs/no-such-tag").status_code == 404
    missing = client.get("/docs/datasets/no-such-dataset")
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def _hrefs(html: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}[^"#]*)', html.replace("&amp;", "&"))


def test_every_dataset_page_is_reached_from_the_overview_through_the_taxonomy(
    client: FlaskClient, configuration: Configuration
) -> None:
    """/docs → its domains → /docs/datasets: the categories → each category's datasets."""
    overview = client.get("/docs?lang=en").get_data(as_text=True)
    assert (
        "9 datasets" in overview and 'href="/docs/datasets?lang=en#domain-environment"' in overview
    )
    assert not _hrefs(overview, "/docs/datasets/"), "no dataset inline on the overview"
    index = client.get("/docs/datasets?lang=en").get_data(as_text=True)
    assert 'id="domain-environment"' in index
    reached = []
    for href in _hrefs(index, "/docs/datasets?category="):
        page = client.get(href)
        assert page.status_code == 200, href
        reached += _hrefs(page.get_data(as_text=True), "/docs/datasets/")
    expected = [f"/docs/datasets/{d.id}?lang=en" for d in configuration.catalog]
    assert sorted(reached) == sorted(expected)
    air = client.get("/docs/datasets/air-quality-hourly?lang=en").get_data(as_text=True)
    assert 'href="/docs/datasets?category=air-quality&amp;lang=en">Air quality</a>' in air
    assert client.get("/docs/datasets?category=no-such-category").status_code == 404
    assert client.get("/docs/datasets?category=environment").status_code == 404  # a domain


def test_a_categorys_datasets_are_paged(
    grown: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docs, "DATASETS_PER_PAGE", 2)
    url = "/docs/datasets?category=market-entities&lang=en"
    first = grown.get(url).get_data(as_text=True)
    second = grown.get(f"{url}&page=2").get_data(as_text=True)
    assert "3 datasets" in first and "Page 1 of 2" in first and "Page 2 of 2" in second
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    shown = _hrefs(first, "/docs/datasets/") + _hrefs(second, "/docs/datasets/")
    assert shown == [f"/docs/datasets/{ME}{suffix}?lang=en" for suffix in ("", "-0", "-1")]
    # Read leniently, like the catalogue pages: the nearest page, never an error.
    for wrong, nearest in (("0", 1), ("x", 1), ("99", 2), ("１", 1)):
        page = grown.get(f"{url}&page={wrong}")
        assert page.status_code == 200
        assert f"Page {nearest} of 2" in page.get_data(as_text=True)


def test_every_json_answer_body_is_a_named_component(document: dict[str, Any]) -> None:
    """A client generator names an inline answer body after the operation and status
    (``…Response200``); a component keeps a name people gave it."""
    inline = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            for status, response in op["responses"].items():
                for media, content in response.get("content", {}).items():
                    schema = content.get("schema", {})
                    json_body = media == "application/json" or media.endswith("+json")
                    if json_body and "$ref" not in schema:
                        inline.append(f"{method.upper()} {path} {status} {media}")
    assert inline == []
