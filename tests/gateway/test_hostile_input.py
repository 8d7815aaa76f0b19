"""Hostile input gets a clear 4xx problem — never a 500, a stack trace, an SQL fragment or a
file path — and every response carries the security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import create_app
from gateway.core.settings import load_settings
from gateway.services import Configuration
from gateway.storage import upgrade
from gateway.storage.tables import audit_records

from .conftest import LEAKS, bearer

ME = "/v1/datasets/market-entity-registration"


def _clean(response: Any) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500, (response.status_code, text[:300])
    assert not any(leak in text for leak in LEAKS), text[:300]
    if response.status_code >= 400 and response.content_type.startswith("application/"):
        assert response.content_type in ("application/problem+json", "application/json")


def test_an_overlong_uri_is_414(client: FlaskClient, token_for: Callable[..., str]) -> None:
    response = client.get(f"{ME}/records?name=" + "京" * 3000, headers=bearer(token_for("open")))
    assert response.status_code == 414
    assert response.get_json()["type"] == "/problems/uri-too-long"


def test_oversized_headers_are_431(client: FlaskClient) -> None:
    one_big = client.get("/v1/catalog/datasets", headers={"X-Padding": "a" * 9000})
    assert one_big.status_code == 431
    many = client.get("/v1/catalog/datasets", headers={f"X-Pad-{i}": "b" * 700 for i in range(30)})
    assert many.status_code == 431
    assert many.get_json()["type"] == "/problems/headers-too-large"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/datasets/%00/records",
        "/v1/datasets/../../etc/passwd/records",
        "/v1/datasets/market-entity-registration/records/%00%01",
        "/v1/datasets/market-entity-registration/records/" + "9" * 500,
        "/v1/datasets/market-entity-registration/records/<script>alert(1)</script>",
        "/v1/datasets/market-entity-registration/records/'; DROP TABLE audit_records; --",
        "/v1/datasets/market-entity-registration/records?limit=-1",
        "/v1/datasets/market-entity-registration/records?limit=99999999999999999999",
        "/v1/datasets/market-entity-registration/records?strict=maybe",
        "/v1/datasets/market-entity-registration/records?establishedDate.gte=yesterday",
        "/v1/datasets/market-entity-registration/records?registeredCapital.gte=1e999",
        "/v1/datasets/market-entity-registration/records?registeredCapital.gte=" + "9" * 25,
        "/v1/datasets/tax-credit-rating/records?ratingYear.gte=18446744073709551616",
        "/v1/datasets/market-entity-registration/records?limit=%C2%B2",
        "/v1/datasets/market-entity-registration/records?name.regex=.*",
        "/v1/datasets/market-entity-registration/records?region=%E4%BA%AC",
        "/v1/datasets/market-entity-registration/records?cursor=%FF%FE",
        "/v1/datasets/market-entity-registration/records?name=%ED%A0%80",
        "/v1/datasets/market-entity-registration/records?name.prefix=%FF",
        "/v1/catalog/datasets?q=%C0%AF",
        "/v1/datasets/market-entity-registration/records?fields=",
        "/v1/datasets/market-entity-registration/records?fields=nope",
        "/v1/catalog/datasets?page=%2F..%2F",
        "/v1/catalog/datasets/%2e%2e",
        "/v1/audit/exchanges/x",
    ],
)
def test_hostile_paths_and_parameters_get_4xx_problems(
    client: FlaskClient, token_for: Callable[..., str], path: str
) -> None:
    response = client.get(path, headers=bearer(token_for("open"), "statistics"))
    _clean(response)
    assert 400 <= response.status_code < 500


HUGE = "10436311139542952942055648145702912"


@pytest.mark.both_backends
@pytest.mark.parametrize(
    ("dataset", "body"),
    [
        ("tax-credit-rating", '{"limit": N}'.replace("N", HUGE)),
        ("tax-credit-rating", '{"limit": 18446744073709551616}'),
        ("tax-credit-rating", '{"limit": 9007199254740992}'),
        ("tax-credit-rating", '{"filter": {"ratingYear": {"gte": N}}}'.replace("N", HUGE)),
        (ME[13:], '{"filter": {"registeredCapital": {"gte": N}}}'.replace("N", HUGE)),
        (ME[13:], '{"filter": {"registeredCapital": {"gte": N}}}'.replace("N", "9" * 5000)),
        (ME[13:], '{"filter": {"registeredCapital": {"lte": 1e400}}}'),
        (ME[13:], '{"filter": {"registeredCapital": {"in": [1, -N]}}}'.replace("N", HUGE)),
        ("household-registration", '{"limit": N}'.replace("N", HUGE)),
    ],
)
def test_a_number_beyond_the_json_range_is_a_400_problem_and_audited(
    app: Flask, client: FlaskClient, token_for: Callable[..., str], dataset: str, body: str
) -> None:
    response = client.post(
        f"/v1/datasets/{dataset}/query",
        data=body,
        content_type="application/json",
        headers=bearer(token_for("partner")),
    )
    _clean(response)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["type"] == "/problems/invalid-request"
    assert "out of range" in problem["detail"]
    with app.extensions["jjj-gateway"].engine.connect() as conn:
        row = conn.execute(
            select(audit_records).where(
                audit_records.c.exchange_id == response.headers["X-Exchange-Id"]
            )
        ).one()
    assert row.http_status == 400


@pytest.mark.both_backends
def test_an_audit_search_or_lookup_for_nul_finds_nothing_and_a_filter_with_it_is_a_400(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    """PostgreSQL text cannot hold NUL: an audit search or lookup for it failed as if the
    database were down (503), and a filter holding it failed a PostgreSQL node."""
    token = token_for("regulator", scopes=["audit:read", "data:read"])
    for query in ("clientId=a%00b", "dataset=%00", "purpose=a%00"):
        response = client.get(f"/v1/audit/exchanges?{query}", headers=bearer(token, None))
        _clean(response)
        assert response.status_code == 200 and response.get_json()["data"] == [], query
    response = client.get("/v1/audit/exchanges/a%00b", headers=bearer(token, None))
    _clean(response)
    assert response.status_code == 404
    for kwargs in (
        {"path": f"{ME}/records?name=a%00b"},
        {"path": f"{ME}/query", "method": "POST", "json": {"filter": {"name": "福\u0000州"}}},
    ):
        response = client.open(headers=bearer(token, "statistics"), **kwargs)
        _clean(response)
        assert response.status_code == 400
        assert {"path": "$.filter.name.eq", "message": "text must not hold NUL (U+0000)"} in (
            response.get_json()["errors"]
        )


@pytest.mark.parametrize(
    "path",
    [
        "/v1/audit/exchanges?limit=%C2%B2",
        "/v1/audit/exchanges?limit=%D9%A5",
        "/v1/audit/exchanges?cursor=%C2%B2",
        "/v1/audit/exchanges?cursor=" + "9" * 30,
        "/v1/admin/clients?page=99999999999999999999",
        "/v1/admin/clients?perPage=%C2%B2",
        "/v1/admin/grants?page=99999999999999999999",
    ],
)
def test_numeric_parameters_of_audit_and_admin_are_bounded(
    client: FlaskClient, token_for: Callable[..., str], path: str
) -> None:
    token = token_for("regulator", scopes=["audit:read", "admin"])
    response = client.get(path, headers=bearer(token, None))
    _clean(response)
    assert response.status_code == 400


def test_filter_term_and_value_limits(client: FlaskClient, token_for: Callable[..., str]) -> None:
    headers = bearer(token_for("partner"), "statistics")
    too_many_terms = {f"f{i}": "x" for i in range(25)}
    response = client.post(f"{ME}/query", json={"filter": too_many_terms}, headers=headers)
    assert response.status_code == 400
    too_many_values = {"creditCode": {"in": ["91350100M000100Y43"] * 101}}
    response = client.post(f"{ME}/query", json={"filter": too_many_values}, headers=headers)
    assert response.status_code == 400
    capped = client.post(f"{ME}/query", json={"limit": 10**9}, headers=headers)
    assert capped.status_code == 200 and capped.get_json()["meta"]["limit"] == 200


def test_a_prefix_longer_than_its_field_is_a_400_and_no_node_fails(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    """A LIKE pattern past SQLite's limit failed the nodes, and their breakers then cut them off
    from every caller: such a prefix never reaches a node."""
    headers = bearer(token_for("partner"), "statistics")
    for _ in range(12):
        body = {"filter": {"name": {"prefix": "京" * 20_000}}}
        response = client.post(f"{ME}/query", json=body, headers=headers)
        _clean(response)
        assert response.status_code == 400
        assert response.get_json()["errors"] == [
            {"path": "$.filter.name.prefix", "message": "must be at most 100 characters long"}
        ]
    breakers = app.extensions["jjj-gateway"].fleet.breakers()
    assert {breaker["state"] for breaker in breakers.values()} == {"closed"}
    assert client.get(f"{ME}/records?name.prefix=北京", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00",
        b'{"filter": {"name": "\\ud800"}}',
        b'{"filter": {"a": {"eq": {"eq": 1}}}}',
        b'{"limit": 1e400}',
        b'{"filter": {"registeredCapital": {"gte": -Infinity}}}',
        b'{"regions": ["110000", 5]}',
        b'{"fields": ["name", null]}',
        b'{"cursor": 42}',
        b'{"filter": {"name": {"prefix": ""}}}',
        b"{" + b'"a":1,' * 5000 + b'"b":2}',
        b'"just a string"',
        b"null",
        b"",
    ],
)
def test_malformed_json_bodies_are_400(
    client: FlaskClient, token_for: Callable[..., str], body: bytes
) -> None:
    response = client.post(
        f"{ME}/query",
        data=body,
        content_type="application/json",
        headers=bearer(token_for("partner"), "statistics"),
    )
    _clean(response)
    assert response.status_code == 400


def test_oauth_endpoints_refuse_garbage_in_their_own_error_format(client: FlaskClient) -> None:
    for kwargs in (
        {"data": "grant_type=" + "x" * 5000, "content_type": "application/x-www-form-urlencoded"},
        {"data": b"\xff\xfe", "content_type": "application/x-www-form-urlencoded"},
        {"json": {"grant_type": "client_credentials"}},
        {
            "data": {
                "grant_type": "client_credentials",
                "client_id": "x" * 500,
                "client_secret": "y",
            }
        },
    ):
        response = client.post("/oauth/token", **kwargs)
        _clean(response)
        assert 400 <= response.status_code < 500
        assert "error" in response.get_json()


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    for path in ("/healthz", "/v1/catalog/datasets", "/v1/nope", "/oauth/jwks"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "Content-Security-Policy" in headers


def test_cors_is_off_unless_configured(client: FlaskClient) -> None:
    origin = {"Origin": "https://portal.example.gov.cn"}
    response = client.get("/v1/catalog/datasets", headers=origin)
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(
        "/v1/catalog/datasets", headers=origin | {"Access-Control-Request-Method": "GET"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_when_configured_answers_only_listed_origins(
    settings_overrides: dict[str, Any], configuration: Configuration
) -> None:
    settings = load_settings(
        settings_overrides | {"cors_origins": "https://portal.example.gov.cn"}, environ={}
    )
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    app: Flask = create_app(settings, configuration=configuration)
    try:
        client = app.test_client()
        ok = client.get("/v1/catalog/datasets", headers={"Origin": "https://portal.example.gov.cn"})
        assert ok.headers["Access-Control-Allow-Origin"] == "https://portal.example.gov.cn"
        assert "X-Exchange-Id" in ok.headers["Access-Control-Expose-Headers"]
        preflight = client.options(
            "/v1/datasets/patent-grants/query",
            headers={
                "Origin": "https://portal.example.gov.cn",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, x-purpose",
            },
        )
        assert preflight.status_code == 204
        assert "X-Purpose" in preflight.headers["Access-Control-Allow-Headers"]
        other = client.get("/v1/catalog/datasets", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
    finally:
        app.extensions["jjj-gateway"].close()
