"""The gateway and adapter servers as separate processes: fan-out, failures, lies, tokens."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from gateway.identity.signing_keys import SigningKeys

from .conftest import LYING_NODE, Deployment

pytestmark = pytest.mark.slow

ME = "/v1/datasets/market-entity-registration"
CLEAN_REGIONS = ["110000", "120101", "120103", "120104", "130000"]


def _audit_body(deployment: Deployment, exchange_id: str) -> dict[str, Any]:
    with sqlite3.connect(deployment.instance / "gateway.sqlite3") as db:
        row = db.execute(
            "SELECT body FROM audit_records WHERE exchange_id = ?", (exchange_id,)
        ).fetchone()
    assert row is not None, exchange_id
    return dict(json.loads(row[0]))


def _get(
    deployment: Deployment, path: str, token: str | None, purpose: str = "statistics", **kwargs: Any
) -> httpx.Response:
    headers = {"X-Purpose": purpose}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(deployment.base_url + path, headers=headers, timeout=30, **kwargs)


def _query(deployment: Deployment, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{deployment.base_url}{ME}/query",
        json=body,
        timeout=30,
        headers={"Authorization": f"Bearer {token}", "X-Purpose": "statistics"},
    )


def test_a_three_province_query_fans_out_over_local_and_remote_nodes(
    deployment: Deployment,
) -> None:
    response = _query(
        deployment, deployment.token("partner"), {"regions": CLEAN_REGIONS, "limit": 90}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    sources = {s["node"]: s for s in body["meta"]["sources"]}
    assert {"beijing-haidian", "tianjin"} <= set(sources)  # adapter servers
    assert {"beijing", "hebei", "hebei-xiongan"} <= set(sources)  # in-process
    assert all(s["status"] == "ok" and s["count"] > 0 for s in sources.values())
    assert body["meta"]["complete"] is True
    provinces = {r["regionCode"][:2] for r in body["data"]}
    assert provinces == {"11", "12", "13"}
    assert len(body["data"]) == 90


def test_key_lookups_reach_the_remote_node_that_holds_the_key(deployment: Deployment) -> None:
    token = deployment.token("partner")
    for sample, node in (("haidian_entity", "beijing-haidian"), ("tianjin_entity", "tianjin")):
        key = deployment.demo.samples[sample]
        response = _get(deployment, f"{ME}/records/{key}", token, "credit-check")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"]["creditCode"] == key
        assert [s["node"] for s in body["meta"]["sources"]] == [node]


def test_a_node_returning_schema_violating_records_is_marked_invalid_data(
    deployment: Deployment,
) -> None:
    token = deployment.token("partner")
    response = _query(deployment, token, {"regions": ["120116"], "limit": 20})
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["sources"] == [
        {
            "node": LYING_NODE,
            "regions": ["120116"],
            "status": "invalid-data",
            "count": 0,
            "latencyMs": body["meta"]["sources"][0]["latencyMs"],
        }
    ]
    assert body["data"] == []
    assert body["meta"]["complete"] is False
    assert response.headers["X-Exchange-Complete"] == "false"
    # Not one of that node's records reaches the client, not even the valid ones.
    assert "120116" not in json.dumps(body["data"])

    strict = _query(deployment, token, {"regions": ["120116"], "limit": 20, "strict": True})
    assert strict.status_code == 502
    assert strict.json()["type"] == "/problems/upstream-failed"


def test_missing_malformed_expired_forged_and_foreign_tokens_get_401(
    deployment: Deployment,
) -> None:
    ring = SigningKeys(deployment.instance / "keys", token_lifetime=600, clock_skew=60)
    ring.reload(force=True)
    key = ring.signing_key()
    now = int(time.time())
    good = {
        "iss": deployment.base_url,
        "aud": f"{deployment.base_url}/v1",
        "sub": "e2e-partner",
        "client_id": "e2e-partner",
        "scope": "data:read",
        "tier": "partner",
        "region": "110000",
        "jti": "x1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }

    def sign(claims: dict[str, Any], signing_key: ECKey = key) -> str:
        return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, claims, signing_key)

    assert _get(deployment, f"{ME}/records?limit=1", sign(good)).status_code == 200
    cases = {
        "missing": None,
        "malformed": "not.a.token",
        "expired": sign(good | {"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}),
        "wrongly signed": sign(good, ECKey.generate_key("P-256", private=True)),
        "wrong audience": sign(good | {"aud": "https://other-gateway.example/v1"}),
    }
    for name, token in cases.items():
        response = _get(deployment, f"{ME}/records?limit=1", token)
        assert response.status_code == 401, name
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
        assert response.headers["Content-Type"] == "application/problem+json", name


def test_an_adapter_server_refuses_anything_but_the_gateways_token_for_its_node(
    deployment: Deployment,
) -> None:
    url = deployment.adapter_urls["beijing-haidian"] + "/query"
    body: dict[str, Any] = {
        "dataset": "market-entity-registration",
        "filter": {},
        "fields": None,
        "limit": 1,
        "cursor": None,
    }
    assert httpx.post(url, json=body).status_code == 401
    # A partner's access token is for the gateway's API, not for a node.
    partner = deployment.token("partner")
    assert (
        httpx.post(url, json=body, headers={"Authorization": f"Bearer {partner}"}).status_code
        == 401
    )
    # A gateway-signed token for another node does not open this one.
    ring = SigningKeys(deployment.instance / "keys", token_lifetime=600, clock_skew=60)
    ring.reload(force=True)
    now = int(time.time())
    other = jwt.encode(
        {"alg": "ES256", "typ": "JWT", "kid": ring.current_kid()},
        {
            "iss": deployment.base_url,
            "aud": "tianjin",
            "sub": "jjj-gateway",
            "iat": now,
            "exp": now + 60,
            "jti": "n1",
        },
        ring.signing_key(),
    )
    assert (
        httpx.post(url, json=body, headers={"Authorization": f"Bearer {other}"}).status_code == 401
    )
    mine = jwt.encode(
        {"alg": "ES256", "typ": "JWT", "kid": ring.current_kid()},
        {
            "iss": deployment.base_url,
            "aud": "beijing-haidian",
            "sub": "jjj-gateway",
            "iat": now,
            "exp": now + 60,
            "jti": "n2",
        },
        ring.signing_key(),
    )
    answer = httpx.post(url, json=body, headers={"Authorization": f"Bearer {mine}"})
    assert answer.status_code == 200 and len(answer.json()["records"]) == 1


def test_a_stopped_node_makes_the_answer_incomplete_or_strictly_a_502(
    deployment: Deployment,
) -> None:
    token = deployment.token("partner")
    tianjin = deployment.adapters["tianjin"]
    tianjin.stop()
    try:
        response = _query(deployment, token, {"regions": ["120101", "110108"], "limit": 10})
        assert response.status_code == 200
        body = response.json()
        status = {s["node"]: s["status"] for s in body["meta"]["sources"]}
        assert status == {"tianjin": "unavailable", "beijing-haidian": "ok"}
        assert body["meta"]["complete"] is False
        assert response.headers["X-Exchange-Complete"] == "false"
        assert body["data"] and all(r["regionCode"] == "110108" for r in body["data"])

        strict = _query(
            deployment, token, {"regions": ["120101", "110108"], "limit": 10, "strict": True}
        )
        assert strict.status_code == 502
        problem = strict.json()
        assert problem["type"] == "/problems/upstream-failed"
        assert "data" not in problem

        # Key lookups are strict by default.
        key = deployment.demo.samples["tianjin_entity"]
        assert _get(deployment, f"{ME}/records/{key}", token, "credit-check").status_code == 502
        # The cursor keeps the failed node's position: the next page asks it again.
        assert body["meta"]["nextCursor"]
        # Both failures are in the audit trail, with the failed source named.
        partial = _audit_body(deployment, response.headers["X-Exchange-Id"])
        assert partial["decision"] == "allow" and partial["httpStatus"] == 200
        assert {s["node"]: s["status"] for s in partial["sources"]}["tianjin"] == "unavailable"
        failed = _audit_body(deployment, strict.headers["X-Exchange-Id"])
        assert failed["decision"] == "error" and failed["httpStatus"] == 502
        assert failed["problemType"] == "/problems/upstream-failed"
    finally:
        tianjin.start()
    assert (
        _get(
            deployment,
            f"{ME}/records/{deployment.demo.samples['tianjin_entity']}",
            token,
            "credit-check",
        ).status_code
        == 200
    )
