"""What goes into the audit trail: every value bounded, one bad record failing no other exchange,
and exchanges found by every region that served them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.audit.actions import Actor
from gateway.audit.trail import AuditTrail, AuditUnavailable
from gateway.core.ids import uuid7
from gateway.demo import GenerationReport

from .conftest import bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration"
SI = "social-insurance-payment"


def _auditor(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('regulator')}"}


def _record_of(client: FlaskClient, auditor: dict[str, str], exchange_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/audit/exchanges/{exchange_id}", headers=auditor)
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json()["data"])


def _chain_is_valid(client: FlaskClient, auditor: dict[str, str]) -> None:
    result = client.get("/v1/audit/verify", headers=auditor).get_json()
    assert result["valid"], result


def _exchange_record(**overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).isoformat()
    return {
        "kind": "exchange",
        "exchangeId": uuid7(),
        "recordedAt": now,
        "clientId": "test-client",
        "dataset": "patent-grants",
        "purpose": "statistics",
        "decision": "allow",
        "ruleId": "allow-unconditional",
        "httpStatus": 200,
        "traceId": None,
        "regions": None,
        "sources": [],
    } | overrides


# -- every value bounded ---------------------------------------------------------------------


def test_an_unknown_purpose_is_recorded_truncated(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    purpose = "p" * 65  # one more than the purpose column holds
    response = client.get(f"{ME}/records", headers=bearer(token_for("partner"), purpose))
    assert response.status_code == 400
    auditor = _auditor(token_for)
    record = _record_of(client, auditor, response.headers["X-Exchange-Id"])
    assert record["purpose"] == "p" * 53 + "…[65 chars]"
    assert record["ruleId"] == "purpose-unknown" and record["decision"] == "error"
    _chain_is_valid(client, auditor)


@pytest.mark.parametrize(
    ("dataset", "recorded"),
    [
        ("d" * 200, "d" * 52 + "…[200 chars]"),
        ("a%00b", "a\ufffdb"),
    ],
    ids=["overlong", "nul-byte"],
)
def test_a_dataset_id_from_the_url_is_recorded_bounded_and_printable(
    client: FlaskClient, token_for: Callable[..., str], dataset: str, recorded: str
) -> None:
    response = client.get(f"/v1/datasets/{dataset}/records", headers=bearer(token_for("partner")))
    assert response.status_code == 404
    auditor = _auditor(token_for)
    assert _record_of(client, auditor, response.headers["X-Exchange-Id"])["dataset"] == recorded
    _chain_is_valid(client, auditor)


def test_every_searchable_value_is_bounded_to_its_column(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    trail: AuditTrail = app.extensions["jjj-gateway"].audit
    issuer_client = "https://issuer.example.gov.cn/" + "c" * 400 + "\x00"
    stored = trail.record(
        _exchange_record(
            clientId=issuer_client,
            dataset="x" * 100,
            ruleId="r" * 100,
            traceId="f" * 40,
            tokenJti="j" * 5000,
            details={"k" * 2000: "\ud800"},
        )
    )
    assert len(stored["clientId"]) == 300 and stored["clientId"].endswith("…[431 chars]")
    assert len(stored["dataset"]) == 64 and len(stored["ruleId"]) == 64
    assert len(stored["traceId"]) == 32 and stored["traceId"].endswith("…[40 chars]")
    assert len(stored["tokenJti"]) == 1000
    assert list(stored["details"].values()) == ["\ufffd"]
    auditor = _auditor(token_for)
    assert _record_of(client, auditor, stored["exchangeId"])["clientId"] == stored["clientId"]
    _chain_is_valid(client, auditor)


def test_a_bounded_text_keeps_its_marker_within_the_bound() -> None:
    from gateway.audit.record_limits import bounded_text

    assert bounded_text("ok", 8) == "ok"
    assert bounded_text("tab\tand\nbreak", 40) == "tab\tand\nbreak"
    assert bounded_text("bell\x07", 40) == "bell\ufffd"
    assert len(bounded_text("z" * 100, 5)) == 5


# -- one bad record fails no other exchange ----------------------------------------------------


def test_one_refused_record_never_fails_the_others_of_its_batch(app: Flask) -> None:
    trail: AuditTrail = app.extensions["jjj-gateway"].audit
    taken = trail.record(_exchange_record())
    good, bad, other = (
        _exchange_record(),
        _exchange_record(exchangeId=taken["exchangeId"]),  # the database refuses a duplicate id
        _exchange_record(),
    )
    futures: list[Future[dict[str, Any]]] = [Future(), Future(), Future()]
    writer = trail._writer
    assert writer is not None
    # While the chain is held, the writer cannot commit: all three wait and are batched together
    # (or behind one batch of the first), so the bad record shares a batch with a good one.
    with trail._chain_transaction():
        for record, future in zip((good, bad, other), futures, strict=True):
            writer._queue.put((record, future))
    committed = futures[0].result(timeout=30), futures[2].result(timeout=30)
    with pytest.raises(AuditUnavailable):
        futures[1].result(timeout=30)
    assert [r["exchangeId"] for r in committed] == [good["exchangeId"], other["exchangeId"]]
    assert committed[1]["seq"] == committed[0]["seq"] + 1 == taken["seq"] + 2


def test_an_attack_on_the_purpose_column_fails_no_other_client(
    app: Flask, client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    attacker, partner = token_for("partner"), token_for("partner")
    entity = demo_data.samples["haidian_entity"]
    for _ in range(3):
        hostile = client.get(f"{ME}/records/{entity}", headers=bearer(attacker, "p" * 65))
        assert hostile.status_code == 400
        served = client.get(f"{ME}/records/{entity}", headers=bearer(partner))
        assert served.status_code == 200


# -- found by every region that served it ------------------------------------------------------


def _grant(app: Flask, client_id: str) -> None:
    app.extensions["jjj-gateway"].grant_admin.issue(
        Actor("test-operator"),
        client_id=client_id,
        dataset=SI,
        purpose="social-insurance-transfer",
        approver="京津冀政务数据共享协调小组",
        legal_basis="《京津冀政务数据共享协议》第五条",
        fields=["residentId", "name", "regionCode", "status", "monthsPaid"],
    )


def _found(client: FlaskClient, auditor: dict[str, str], **params: str) -> list[str]:
    response = client.get("/v1/audit/exchanges", headers=auditor, query_string=params)
    assert response.status_code == 200, response.get_json()
    return [r["exchangeId"] for r in response.get_json()["data"]]


def test_a_region_search_finds_the_key_lookups_a_node_of_that_region_answered(
    app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    demo_data: GenerationReport,
) -> None:
    token = token_for("government", client_id="si-office")
    _grant(app, "si-office")
    insured = demo_data.samples["hebei_insured_person"]
    lookups = [
        client.get(
            f"/v1/datasets/{SI}/records/{insured}",
            headers=bearer(token, "social-insurance-transfer"),
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in lookups] == [200, 200, 200], lookups[0].get_json()
    assert {s["node"] for s in lookups[0].get_json()["meta"]["sources"] if s["count"]} == {"hebei"}
    auditor = _auditor(token_for)
    found = _found(client, auditor, dataset=SI, decision="allow", region="130000")
    assert {r.headers["X-Exchange-Id"] for r in lookups} <= set(found)
    record = _record_of(client, auditor, lookups[0].headers["X-Exchange-Id"])
    assert any(s["node"] == "hebei" and s["regions"] for s in record["sources"])


def test_a_region_search_finds_queries_and_fan_outs_by_the_nodes_they_reached(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    partner = token_for("partner")
    fan_out = client.get(f"{ME}/records?limit=50", headers=bearer(partner, "statistics"))
    query = client.post(
        f"{ME}/query",
        json={"regions": ["120000"], "limit": 3},
        headers=bearer(partner, "statistics"),
    )
    assert fan_out.status_code == query.status_code == 200
    auditor = _auditor(token_for)
    fan_out_id, query_id = fan_out.headers["X-Exchange-Id"], query.headers["X-Exchange-Id"]
    for region in ("130000", "131000", "110108"):
        assert fan_out_id in _found(client, auditor, region=region)
    assert query_id in _found(client, auditor, region="120116")
    assert query_id not in _found(client, auditor, region="130000")


def test_a_region_list_never_overflows_its_column(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    trail: AuditTrail = app.extensions["jjj-gateway"].audit
    leaves = [f"{code:06d}" for code in range(110000, 111000)]  # a registry far larger than ours
    stored = trail.record(_exchange_record(regions=leaves))
    auditor = _auditor(token_for)
    assert stored["exchangeId"] in _found(client, auditor, region="110108")
    _chain_is_valid(client, auditor)


def test_a_refused_request_is_found_by_the_regions_it_asked_for(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    refused = client.get(
        f"/v1/datasets/{SI}/records?region=130100",
        headers=bearer(token_for("partner"), "social-insurance-transfer"),
    )
    assert refused.status_code == 403
    auditor = _auditor(token_for)
    assert refused.headers["X-Exchange-Id"] in _found(client, auditor, region="130000")
    assert refused.headers["X-Exchange-Id"] not in _found(client, auditor, region="110000")


# -- every answer that carries an exchange id is in the chain ----------------------------------

BIG = 2 * 1024 * 1024  # twice the largest body the gateway takes


def _admin(token_for: Callable[..., str]) -> dict[str, str]:
    token = token_for("regulator", scopes=["admin", "audit:read"])
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("request_of", "status", "kind", "has_client"),
    [
        (
            lambda c, _: c.get(f"{ME}/records", headers={"X-Purpose": "statistics"}),
            401,
            "exchange",
            False,
        ),
        (
            lambda c, _: c.get(f"{ME}/records", headers=bearer("not-a-token")),
            401,
            "exchange",
            False,
        ),
        (lambda c, t: c.get("/v1/audit/exchanges", headers=bearer(t("open"))), 403, "audit", True),
        (lambda c, t: c.get("/v1/admin/clients", headers=bearer(t("partner"))), 403, "admin", True),
        (lambda c, t: c.get("/v1/admin/clients", headers=_admin(t)), 200, "admin", True),
        (lambda c, t: c.get("/v1/audit/keys", headers=_auditor(t)), 200, "audit", True),
        (lambda c, _: c.get("/v1/datasets/no-such-dataset/records"), 401, "exchange", False),
        (
            lambda c, t: c.get("/v1/datasets/patent-grants", headers=bearer(t("partner"))),
            404,
            "exchange",
            False,
        ),
        (
            lambda c, t: c.delete(f"{ME}/records", headers=bearer(t("partner"))),
            405,
            "exchange",
            False,
        ),
        (
            lambda c, t: c.post(
                f"{ME}/query",
                data=b"{" + b" " * BIG + b"}",
                headers=bearer(t("partner")) | {"Content-Type": "application/json"},
            ),
            413,
            "exchange",
            True,
        ),
        (
            lambda c, t: c.get(f"{ME}/records?name={'x' * 5000}", headers=bearer(t("partner"))),
            414,
            "exchange",
            False,
        ),
    ],
    ids=[
        "data-no-token",
        "data-bad-token",
        "audit-open-tier",
        "admin-without-scope",
        "admin-read",
        "audit-keys",
        "unknown-dataset-no-token",
        "no-such-route",
        "method-not-allowed",
        "body-too-large",
        "uri-too-long",
    ],
)
def test_every_answer_that_carries_an_exchange_id_is_in_the_chain(
    client: FlaskClient,
    token_for: Callable[..., str],
    request_of: Callable[[FlaskClient, Callable[..., str]], Any],
    status: int,
    kind: str,
    has_client: bool,
) -> None:
    response = request_of(client, token_for)
    assert response.status_code == status
    exchange_id = response.headers["X-Exchange-Id"]
    if response.mimetype == "application/problem+json":
        assert response.get_json()["exchangeId"] == exchange_id
    auditor = _auditor(token_for)
    record = _record_of(client, auditor, exchange_id)
    assert record["kind"] == kind and record["httpStatus"] == status
    assert (record["clientId"] is not None) == has_client
    assert record["decision"] == (
        "allow" if status < 400 else "deny" if status in (401, 403) else "error"
    )
    if status >= 400:
        assert record["problemType"] == response.get_json()["type"]
    _chain_is_valid(client, auditor)


def test_an_administrative_change_is_recorded_under_its_answers_exchange_id(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    created = client.post(
        "/v1/admin/clients",
        json={"name": "津冀协同办", "region": "120000", "tier": "partner", "scopes": ["data:read"]},
        headers=_admin(token_for),
    )
    assert created.status_code == 201, created.get_json()
    auditor = _auditor(token_for)
    record = _record_of(client, auditor, created.headers["X-Exchange-Id"])
    assert record["kind"] == "admin" and record["action"] == "client.create"
    searched = client.get("/v1/audit/exchanges?kind=admin", headers=auditor)
    record = _record_of(client, auditor, searched.headers["X-Exchange-Id"])
    assert record["kind"] == "audit" and record["action"] == "audit.search"


def test_public_answers_carry_no_exchange_id(client: FlaskClient) -> None:
    for path in ("/healthz", "/v1/catalog/datasets", "/oauth/jwks", "/v1/nope"):
        assert "X-Exchange-Id" not in client.get(path).headers
    missing = client.get("/v1/catalog/datasets/no-such-dataset")
    assert missing.status_code == 404 and "exchangeId" not in missing.get_json()
    preflight = client.options(f"{ME}/records", headers={"Access-Control-Request-Method": "GET"})
    assert "X-Exchange-Id" not in preflight.headers


def test_an_answer_that_cannot_be_audited_fails_closed(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    admin = _admin(token_for)
    engine = app.extensions["jjj-gateway"].engine
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_records RENAME TO audit_records_away")
    try:
        refused = client.get(f"{ME}/records", headers={"X-Purpose": "statistics"})
        change = client.post(
            "/v1/admin/clients",
            json={
                "name": "津冀协同办",
                "region": "120000",
                "tier": "partner",
                "scopes": ["data:read"],
            },
            headers=admin,
        )
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE audit_records_away RENAME TO audit_records")
    for response in (refused, change):
        assert response.status_code == 503
        assert response.get_json()["type"] == "/problems/service-unavailable"
        assert response.headers["Retry-After"] == "5"


def test_a_read_of_the_trail_that_finds_nothing_is_recorded_as_its_404(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    auditor = _auditor(token_for)
    missing = client.get("/v1/audit/exchanges/no-such-exchange", headers=auditor)
    assert missing.status_code == 404
    record = _record_of(client, auditor, missing.headers["X-Exchange-Id"])
    assert record["httpStatus"] == 404 and record["decision"] == "error"
    assert record["problemType"] == "/problems/not-found" and record["clientId"]


# -- administrative input is bounded by its columns too ----------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        (
            "/v1/admin/clients",
            {"name": "名" * 201, "region": "120000", "tier": "partner", "scopes": ["data:read"]},
            "name",
        ),
        (
            "/v1/admin/grants",
            {
                "clientId": "https://issuer.example.gov.cn#" + "c" * 300,
                "dataset": SI,
                "purpose": "social-insurance-transfer",
                "approver": "京津冀政务数据共享协调小组",
                "legalBasis": "《京津冀政务数据共享协议》第五条" * 40,
            },
            "legalBasis",
        ),
    ],
    ids=["client-name", "grant-legal-basis"],
)
def test_an_administrative_value_longer_than_its_column_is_a_validation_problem(
    client: FlaskClient, token_for: Callable[..., str], path: str, body: Any, named: str
) -> None:
    response = client.post(path, json=body, headers=_admin(token_for))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["type"] == "/problems/validation-failed"
    assert named in response.get_json()["detail"]
