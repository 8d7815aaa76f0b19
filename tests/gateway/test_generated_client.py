"""What typed clients generated from the gateway's descriptions see: from /openapi.json, module
and model names for people, the purpose vocabulary as an enum and both client_secret methods;
from one dataset's own document, its typed operations with the page size's maximum and array
filters sent the way generators send them (the parameter repeated)."""

from __future__ import annotations

import base64
import importlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.demo import GenerationReport

from .conftest import bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration"
PACKAGE = "jjj_gateway_client"
#: The client of one dataset, generated from its own document.
DATASET_PACKAGE = "jjj_market_entity_registration"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").get_json()
    return body


@pytest.fixture
def market(client: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"{ME}/openapi.json").get_json()
    return body


def _generated(
    tmp_path_factory: pytest.TempPathFactory, url: str, package: str
) -> Iterator[ModuleType]:
    """The client openapi-python-client generates from the gateway's document at ``url``."""
    from gateway import create_app

    folder = tmp_path_factory.mktemp("generated")
    app = create_app(
        {"instance_path": folder / "instance", "issuer": "http://gateway.test", "warm_start": False}
    )
    spec = folder / "openapi.json"
    spec.write_bytes(app.test_client().get(url).get_data())
    app.extensions["jjj-gateway"].close()
    executable = Path(sys.executable).parent / "openapi-python-client"
    if not executable.exists():
        pytest.fail("openapi-python-client is a test dependency (pyproject.toml)")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    result = subprocess.run(
        [
            str(executable),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(folder / package),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unable to" not in result.stdout, result.stdout
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]
        shutil.rmtree(folder / package, ignore_errors=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client of the gateway's own operations (/openapi.json)."""
    yield from _generated(tmp_path_factory, "/openapi.json", PACKAGE)


@pytest.fixture(scope="module")
def generated_dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client of one dataset, from its own document."""
    yield from _generated(tmp_path_factory, f"{ME}/openapi.json", DATASET_PACKAGE)


def _names(package: ModuleType, sub: str) -> set[str]:
    folder = Path(package.__file__ or "").parent / sub
    return {p.stem for p in folder.iterdir() if p.stem != "__init__" and p.stem != "__pycache__"}


def test_generated_modules_and_models_carry_names_people_gave_them(
    generated: ModuleType,
) -> None:
    tags = _names(generated, "api")
    assert {"catalogue", "records", "authorisation", "audit", "administration"} <= tags
    assert {"problem_types", "reference"} <= tags
    assert not [t for t in tags if t.startswith("dataset")], tags
    models = importlib.import_module(f"{PACKAGE}.models")
    for name in ("DatasetList", "DatasetResponse", "Problem", "Purpose", "TokenResponse"):
        assert hasattr(models, name), name
    exported = set(models.__all__)
    assert not [m for m in exported if "Response200" in m or m.startswith("CatalogApi")], exported
    assert "search_datasets" in _names(generated, "api/catalogue")
    assert "get_dataset_open_api_document" in _names(generated, "api/reference")


def test_a_dataset_client_has_its_typed_operations_and_models(
    generated_dataset: ModuleType,
) -> None:
    assert _names(generated_dataset, "api") == {"market_entity_registration"}
    assert _names(generated_dataset, "api/market_entity_registration") == {
        "get_market_entity_registration_records",
        "get_market_entity_registration_record",
        "query_market_entity_registration_records",
    }
    models = importlib.import_module(f"{DATASET_PACKAGE}.models")
    for name in (
        "MarketEntityRegistrationRecord",
        "MarketEntityRegistrationRecordPage",
        "MarketEntityRegistrationQuery",
        "MarketEntityRegistrationCreditCodeOperators",
        "Problem",
        "Purpose",
    ):
        assert hasattr(models, name), name
    exported = set(models.__all__)
    assert not [m for m in exported if "Response200" in m], exported
    # A filter's operators object is a named component, not "…FilterCreditCodeType1".
    assert not [m for m in exported if "Filter" in m and m.endswith("Type1")], exported


def test_every_known_operation_has_a_stable_operation_id(
    document: dict[str, Any], market: dict[str, Any]
) -> None:
    ids = [op["operationId"] for methods in document["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))
    paths = document["paths"]
    assert paths["/v1/catalog/datasets"]["get"]["operationId"] == "searchDatasets"
    assert paths["/oauth/token"]["post"]["operationId"] == "getAccessToken"
    own = market["paths"][f"{ME}/records"]["get"]["operationId"]
    assert own == "getMarketEntityRegistrationRecords"


@pytest.mark.parametrize("which", ["document", "market"])
def test_the_purpose_header_is_the_purpose_vocabulary(
    which: str, request: pytest.FixtureRequest, app: Flask
) -> None:
    described: dict[str, Any] = request.getfixturevalue(which)
    purpose = described["components"]["parameters"]["Purpose"]
    assert purpose["schema"] == {"$ref": "#/components/schemas/Purpose"}
    vocabulary = app.extensions["jjj-gateway"].config.policies.purposes
    assert described["components"]["schemas"]["Purpose"]["enum"] == list(vocabulary)
    assert "credit-check" in vocabulary


def test_the_limit_declares_the_largest_page_of_any_tier(
    document: dict[str, Any], market: dict[str, Any], app: Flask
) -> None:
    tiers = app.extensions["jjj-gateway"].config.policies.tiers.values()
    largest = max(t.max_page_size for t in tiers)
    assert document["components"]["parameters"]["Limit"]["schema"]["maximum"] == largest
    assert document["components"]["schemas"]["Query"]["properties"]["limit"]["maximum"] == largest
    assert market["components"]["parameters"]["Limit"]["schema"]["maximum"] == largest
    query = market["components"]["schemas"]["MarketEntityRegistrationQuery"]
    assert query["properties"]["limit"]["maximum"] == largest


def test_a_limit_above_the_tier_page_is_capped_and_said_so(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = bearer(token_for("open"))  # open: pages of at most 100
    capped = client.get(f"{ME}/records?limit=150", headers=headers).get_json()["meta"]
    assert capped["limit"] == 100 and capped["limitCapped"] is True
    fitting = client.get(f"{ME}/records?limit=5", headers=headers).get_json()["meta"]
    assert fitting["limit"] == 5 and fitting["limitCapped"] is False


def test_both_client_secret_methods_are_documented_for_the_token_endpoint(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["clientSecretBasic"] == {
        "type": "http",
        "scheme": "basic",
        "description": schemes["clientSecretBasic"]["description"],
    }
    token = document["paths"]["/oauth/token"]["post"]
    assert token["security"] == [{"clientSecretBasic": []}, {}]
    assert token["x-client-authentication"]["client_secret_post"] == {
        "bodyFields": ["client_id", "client_secret"]
    }
    body = document["components"]["schemas"]["TokenRequest"]["properties"]
    assert {"client_id", "client_secret"} <= set(body)


def test_a_repeated_in_filter_is_the_same_as_a_comma_list(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    """Generators send an array query parameter repeated (style form, explode true)."""
    keys = [demo_data.samples["haidian_entity"], demo_data.samples["tianjin_entity"]]
    headers = bearer(token_for("partner"))
    repeated = client.get(
        f"{ME}/records", query_string=[("creditCode.in", k) for k in keys], headers=headers
    )
    assert repeated.status_code == 200, repeated.get_json()
    assert sorted(r["creditCode"] for r in repeated.get_json()["data"]) == sorted(keys)
    comma = client.get(f"{ME}/records?creditCode.in={','.join(keys)}", headers=headers)
    assert comma.get_json()["data"] == repeated.get_json()["data"]
    twice = client.get(f"{ME}/records?status=存续&status=注销", headers=headers)
    assert twice.status_code == 400
    assert twice.get_json()["errors"] == [
        {"path": "$.query.status", "message": "give each filter parameter once"}
    ]


def test_a_generated_client_gets_a_token_and_filters_with_an_array(
    generated: ModuleType,
    generated_dataset: ModuleType,
    app: Flask,
    register: Callable[..., tuple[str, str]],
    demo_data: GenerationReport,
) -> None:
    token_api = importlib.import_module(f"{PACKAGE}.api.authorisation.get_access_token")
    records_api = importlib.import_module(
        f"{DATASET_PACKAGE}.api.market_entity_registration.get_market_entity_registration_records"
    )
    models = importlib.import_module(f"{PACKAGE}.models")
    dataset_models = importlib.import_module(f"{DATASET_PACKAGE}.models")
    transport = httpx.WSGITransport(app=app)
    base = "http://localhost"  # plain HTTP is for loopback only (RFC 6749 §3.1)

    client_id, secret = register(tier="partner", scopes=["data:read"])
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    with generated.AuthenticatedClient(
        base, token=basic, prefix="Basic", httpx_args={"transport": transport}
    ) as auth:
        issued = token_api.sync(client=auth, body=models.TokenRequest("client_credentials"))
    assert isinstance(issued, models.TokenResponse), issued

    registered, post_secret = app.extensions["jjj-gateway"].clients.create(
        name="post",
        region="110000",
        tier="partner",
        scopes=["data:read"],
        auth_method="client_secret_post",
    )
    post_id = registered.client_id
    with generated.Client(base, httpx_args={"transport": transport}) as anonymous:
        posted = token_api.sync(
            client=anonymous,
            body=models.TokenRequest(
                "client_credentials", client_id=post_id, client_secret=post_secret
            ),
        )
    assert isinstance(posted, models.TokenResponse), posted

    keys = [demo_data.samples["haidian_entity"], demo_data.samples["tianjin_entity"]]
    with generated_dataset.AuthenticatedClient(
        base, token=issued.access_token, httpx_args={"transport": transport}
    ) as caller:
        page = records_api.sync(
            client=caller,
            x_purpose=dataset_models.Purpose.CREDIT_CHECK,
            credit_code_in=keys,
            limit=500,
        )
    assert isinstance(page, dataset_models.MarketEntityRegistrationRecordPage), page
    assert sorted(r.credit_code for r in page.data) == sorted(keys)
    assert page.meta.limit == 200 and page.meta.limit_capped is True
