"""Tokens of trusted regional issuers: bounded lifetime, required and bounded claims, and a
deny-list of their own (keyed by issuer and jti) that an administrator can add to."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select

from gateway.core.problems import Problem
from gateway.identity.oauth.revocation import foreign_token_key
from gateway.identity.oauth.tokens import AccessTokenVerifier
from gateway.storage.tables import audit_records
from policies import TrustedIssuer

from .conftest import bearer
from .test_oauth import _data, _issue, _tianjin_token, federated_app, tianjin_key

pytestmark = pytest.mark.both_backends

__all__ = ["federated_app", "tianjin_key"]  # fixtures shared with test_oauth

TIANJIN = "https://auth.tj.example.gov.cn"


def _reason(app: Flask, token: str) -> str:
    response = app.test_client().get(
        "/v1/datasets/tax-credit-rating/records?limit=1", headers=bearer(token, "credit-check")
    )
    assert response.status_code == 401, response.get_json()
    return str(response.get_json()["detail"])


def test_a_trusted_issuers_token_living_longer_than_the_cap_is_rejected(
    federated_app: Flask, tianjin_key: ECKey
) -> None:
    now = int(time.time())
    ten_years = _tianjin_token(tianjin_key, iat=now, exp=now + 10 * 365 * 86400)
    assert "at most 600 s" in _reason(federated_app, ten_years)  # the gateway's own lifetime
    assert _data(federated_app.test_client(), _tianjin_token(tianjin_key)) == 200  # 300 s


@pytest.mark.parametrize("claim", ["iat", "jti"])
def test_a_trusted_issuers_token_without_iat_or_jti_is_rejected(
    federated_app: Flask, tianjin_key: ECKey, claim: str
) -> None:
    token = _tianjin_token(tianjin_key, **{claim: None})
    assert "claim" in _reason(federated_app, token)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"region_code": "1" * 4000}, "region"),
        ({"region_code": "999999"}, "unknown region"),
        ({"region_code": 120000}, "region"),
        ({"client_id": "x" * 4000}, "client id"),
        ({"client_id": "tj\ncredit"}, "client id"),
        ({"org_name": "天津" * 150}, "name"),
        ({"org_name": "bank\u2028line"}, "name"),
        ({"scope": "data:read " * 120}, "scope"),
        ({"jti": "j" * 4000}, "jti"),
        ({"jti": "j\u00e9"}, "jti"),
    ],
)
def test_every_claim_of_a_trusted_issuers_token_is_bounded(
    federated_app: Flask, tianjin_key: ECKey, changes: dict[str, Any], complaint: str
) -> None:
    assert complaint in _reason(federated_app, _tianjin_token(tianjin_key, **changes))


def _admin(app: Flask) -> str:
    store = app.extensions["jjj-gateway"].clients
    created, secret = store.create(
        name="admin", region="110000", tier="regulator", scopes=["admin"]
    )
    return _issue(app.test_client(), (created.client_id, secret))


def test_an_admin_revokes_a_trusted_issuers_token_by_issuer_and_jti(
    federated_app: Flask, tianjin_key: ECKey
) -> None:
    token = _tianjin_token(tianjin_key, jti="tj-0001")
    client = federated_app.test_client()
    assert _data(client, token) == 200
    response = client.post(
        "/v1/admin/revocations",
        json={"issuer": TIANJIN, "jti": "tj-0001"},
        headers={"Authorization": f"Bearer {_admin(federated_app)}"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["jti"] == "tj-0001"
    assert "revoked" in _reason(federated_app, token)
    # Keyed by issuer and jti: the same jti from the same issuer stays refused, and the entry
    # is not the bare jti (which one of this gateway's tokens could carry).
    revocations = federated_app.extensions["jjj-gateway"].revocations
    assert revocations.is_revoked(foreign_token_key(TIANJIN, "tj-0001"))
    assert not revocations.is_revoked("tj-0001")
    with federated_app.extensions["jjj-gateway"].engine.connect() as conn:
        rows = conn.execute(select(audit_records).where(audit_records.c.kind == "admin")).all()
    actions = [json.loads(r.body) for r in rows]
    [revoked] = [a for a in actions if a["action"] == "token.revoke"]
    assert revoked["target"] == "tj-0001" and revoked["details"] == {"issuer": TIANJIN}


def test_a_revocation_of_an_unknown_issuer_or_a_malformed_jti_is_refused(
    federated_app: Flask,
) -> None:
    headers = {"Authorization": f"Bearer {_admin(federated_app)}"}
    client = federated_app.test_client()
    for body in (
        {"issuer": "https://evil.example", "jti": "x"},
        {"issuer": TIANJIN, "jti": "x" * 500},
        {"issuer": TIANJIN, "jti": 7},
        {"issuer": TIANJIN, "jti": "x", "extra": 1},
    ):
        response = client.post("/v1/admin/revocations", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.mimetype == "application/problem+json"


def test_a_revocation_needs_the_admin_scope(federated_app: Flask, tianjin_key: ECKey) -> None:
    store = federated_app.extensions["jjj-gateway"].clients
    created, secret = store.create(name="p", region="110000", tier="partner", scopes=["data:read"])
    token = _issue(federated_app.test_client(), (created.client_id, secret))
    response = federated_app.test_client().post(
        "/v1/admin/revocations",
        json={"issuer": TIANJIN, "jti": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


def test_a_trusted_issuers_own_lifetime_cap_replaces_the_default(tianjin_key: ECKey) -> None:
    trusted = TrustedIssuer(
        issuer=TIANJIN,
        audience="http://gateway.test/v1",
        scopes=frozenset({"data:read"}),
        jwks={"keys": [tianjin_key.as_dict(private=False)]},
        region_claim="region_code",
        default_tier="partner",
        max_token_lifetime=3600,
    )
    verifier = AccessTokenVerifier(
        lambda: KeySet.generate_key_set("EC", "P-256"),
        issuer="http://gateway.test",
        audience="http://gateway.test/v1",
        clock_skew=60,
        is_revoked=lambda key: False,
        client_of=lambda client_id: None,
        trusted={TIANJIN: trusted},
    )
    now = int(time.time())
    assert verifier.verify(_tianjin_token(tianjin_key, iat=now, exp=now + 3000)).tier == "partner"
    with pytest.raises(Problem) as refused:
        verifier.verify(_tianjin_token(tianjin_key, iat=now, exp=now + 4000))
    assert refused.value.detail == "a trusted issuer's token may live at most 3600 s"
