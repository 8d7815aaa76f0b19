"""The exchange pipeline through the HTTP API with in-process adapters
(docs/architecture.md#the-exchange-pipeline, docs/api.md)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.audit.chain import GENESIS, chain_hash
from gateway.demo import GenerationReport
from gateway.storage.tables import audit_records

from .conftest import basic, bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration"


def test_key_lookup_is_routed_by_the_region_in_the_uscc(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    key = demo_data.samples["haidian_entity"]
    response = client.get(f"{ME}/records/{key}", headers=bearer(token_for("partner")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["data"]["creditCode"] == key
    meta = body["meta"]
    assert response.headers["X-Exchange-Id"] == meta["exchangeId"]
    assert len(meta["traceId"]) == 32
    assert meta["sources"] == [
        {
            "node": "beijing-haidian",
            "regions": ["110108"],
            "status": "ok",
            "count": 1,
            "latencyMs": meta["sources"][0]["latencyMs"],
        }
    ]
    assert meta["complete"] is True
    assert meta["dataset"] == "market-entity-registration" and meta["purpose"] == "credit-check"
    assert "legalRepId" in meta["fields"]["dropped"]
    assert "legalRepId" not in body["data"]


def test_key_lookup_reads_a_sql_node_with_pinyin_columns(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    key = demo_data.samples["tianjin_entity"]
    body = client.get(f"{ME}/records/{key}", headers=bearer(token_for("partner"))).get_json()
    assert body["meta"]["sources"][0]["node"] == "tianjin"
    assert body["data"]["creditCode"] == key and body["data"]["name"].startswith("天津")


def test_a_query_over_all_provinces_fans_out_to_every_node(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.post(
        f"{ME}/query",
        json={"filter": {"status": "存续"}, "limit": 30},
        headers=bearer(token_for("open"), "statistics"),
    )
    assert response.status_code == 200
    body = response.get_json()
    nodes = {s["node"] for s in body["meta"]["sources"]}
    assert nodes == {
        "beijing",
        "beijing-haidian",
        "beijing-chaoyang",
        "beijing-tongzhou",
        "tianjin",
        "tianjin-binhai",
        "hebei",
        "hebei-shijiazhuang",
        "hebei-langfang",
        "hebei-xiongan",
    }
    assert len(body["data"]) == 30
    assert all(r["status"] == "存续" for r in body["data"])
    assert body["meta"]["complete"] is True and body["meta"]["nextCursor"]
    assert "X-Exchange-Complete" not in response.headers


def test_paging_with_the_cursor_visits_every_record_once(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    token = token_for("partner")
    expected = (
        demo_data.counts[("tianjin-binhai", "market-entity-registration")]
        + demo_data.counts[("tianjin", "market-entity-registration")]
    )
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        body = {"regions": ["120000"], "limit": 200, "fields": ["creditCode", "regionCode"]}
        if cursor:
            body["cursor"] = cursor
        page = client.post(f"{ME}/query", json=body, headers=bearer(token)).get_json()
        seen += [r["creditCode"] for r in page["data"]]
        assert all(r["regionCode"].startswith("12") for r in page["data"])
        assert set(page["data"][0]) == {"creditCode", "regionCode"} if page["data"] else True
        cursor = page["meta"]["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == expected


def test_get_filters_use_name_and_name_dot_operator(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        f"{ME}/records?region=110108&establishedDate.gte=2020-01-01&entityType.in=有限责任公司,"
        "股份有限公司&limit=20",
        headers=bearer(token_for("partner")),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["data"] and len(body["data"]) <= 20
    for record in body["data"]:
        assert record["regionCode"] == "110108"
        assert record["establishedDate"] >= "2020-01-01"
        assert record["entityType"] in ("有限责任公司", "股份有限公司")


def test_a_province_region_is_narrowed_to_its_districts_on_a_province_node(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    body = client.get(
        f"{ME}/records?region=110101&limit=50", headers=bearer(token_for("partner"))
    ).get_json()
    assert [s["node"] for s in body["meta"]["sources"]] == ["beijing"]
    assert {r["regionCode"] for r in body["data"]} == {"110101"}


def test_unknown_filter_field_is_a_validation_problem(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(f"{ME}/records?colour=red", headers=bearer(token_for("partner")))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/problems/validation-failed"
    assert problem["errors"][0]["path"] == "$.query.colour"
    assert problem["exchangeId"] == response.headers["X-Exchange-Id"]


def test_an_invalid_uscc_key_is_a_400_naming_the_check(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    key = demo_data.samples["haidian_entity"]
    broken = key[:-1] + ("0" if key[-1] != "0" else "1")
    response = client.get(f"{ME}/records/{broken}", headers=bearer(token_for("partner")))
    assert response.status_code == 400
    assert "GB 32100" in response.get_json()["errors"][0]["message"]


def test_a_key_nobody_holds_is_404(client: FlaskClient, token_for: Callable[..., str]) -> None:
    response = client.get(f"{ME}/records/91350100M000100Y43", headers=bearer(token_for("partner")))
    assert response.status_code == 404
    assert response.get_json()["type"] == "/problems/record-not-found"


def test_filter_values_are_validated_against_the_record_schema(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.post(
        f"{ME}/query",
        json={"filter": {"creditCode": {"in": ["nope"]}, "registeredCapital": {"gte": "x"}}},
        headers=bearer(token_for("partner")),
    )
    assert response.status_code == 400
    paths = {e["path"] for e in response.get_json()["errors"]}
    assert any(p.startswith("$.filter.creditCode") for p in paths)
    assert any(p.startswith("$.filter.registeredCapital") for p in paths)


def test_bad_bodies_are_clear_problems(client: FlaskClient, token_for: Callable[..., str]) -> None:
    headers = bearer(token_for("partner"))
    cases = [
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": '{"limit": 1, "limit": 2}', "content_type": "application/json"}, 400),
        ({"data": '{"limit": NaN}', "content_type": "application/json"}, 400),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400),
        ({"data": '{"filter": []}', "content_type": "application/json"}, 400),
        ({"data": '{"limit": 0}', "content_type": "application/json"}, 400),
        ({"data": '{"limit": true}', "content_type": "application/json"}, 400),
        ({"data": '{"whatever": 1}', "content_type": "application/json"}, 400),
        ({"data": "a=1", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "[" * 100 + "]" * 100, "content_type": "application/json"}, 400),
    ]
    for kwargs, status in cases:
        response = client.post(f"{ME}/query", headers=headers, **kwargs)
        assert response.status_code == status, (kwargs, response.get_json())
        assert response.content_type == "application/problem+json"
        assert "Traceback" not in response.get_data(as_text=True)


def test_a_body_over_the_limit_is_413(client: FlaskClient, token_for: Callable[..., str]) -> None:
    response = client.post(
        f"{ME}/query",
        data="x" * (2 << 20),
        content_type="application/json",
        headers=bearer(token_for("partner")),
    )
    assert response.status_code == 413
    assert response.get_json()["type"] == "/problems/payload-too-large"


def test_the_purpose_header_is_required_and_checked(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    token = token_for("partner")
    for purpose in (None, "curiosity"):
        response = client.get(f"{ME}/records", headers=bearer(token, purpose))
        assert response.status_code == 400
        problem = response.get_json()
        assert problem["type"] == "/problems/purpose-required"
        assert "credit-check" in problem["acceptedPurposes"]


def test_unknown_dataset_is_404(client: FlaskClient, token_for: Callable[..., str]) -> None:
    for dataset in ("no-such-dataset", "BAD"):
        response = client.get(f"/v1/datasets/{dataset}/records", headers=bearer(token_for("open")))
        assert response.status_code == 404
        assert response.get_json()["type"] == "/problems/dataset-not-found"


def test_a_dataset_shared_with_none_is_never_served(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        "/v1/datasets/household-registration/records",
        headers=bearer(token_for("regulator"), "regulatory-supervision"),
    )
    assert response.status_code == 403
    assert response.get_json()["type"] == "/problems/not-shared"


def test_a_level_above_the_tier_is_denied(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        "/v1/datasets/tax-credit-rating/records", headers=bearer(token_for("open"))
    )
    assert response.status_code == 403
    problem = response.get_json()
    assert problem["type"] == "/problems/level-exceeds-tier"
    assert problem["ruleId"] == "level-exceeds-tier"


def test_a_token_without_data_read_gets_insufficient_scope(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        f"{ME}/records", headers=bearer(token_for("open", scopes=["catalog:read"]))
    )
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert 'scope="data:read"' in response.headers["WWW-Authenticate"]


def test_an_unknown_region_is_400(client: FlaskClient, token_for: Callable[..., str]) -> None:
    response = client.get(f"{ME}/records?region=999999", headers=bearer(token_for("open")))
    assert response.status_code == 400
    assert response.get_json()["type"] == "/problems/unknown-region"


def test_a_forged_or_foreign_cursor_is_refused(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = bearer(token_for("partner"))
    page = client.post(f"{ME}/query", json={"limit": 5}, headers=headers).get_json()
    cursor = page["meta"]["nextCursor"]
    middle = len(cursor) // 2
    forged = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    for bad, body in (
        (forged, {"limit": 5}),
        ("garbage", {"limit": 5}),
        (cursor, {"limit": 5, "filter": {"status": "注销"}}),
    ):
        response = client.post(f"{ME}/query", json=body | {"cursor": bad}, headers=headers)
        assert response.status_code == 400
        assert response.get_json()["type"] == "/problems/invalid-cursor"


def test_a_cursor_issued_to_one_client_is_refused_to_another(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    query = {"limit": 5, "fields": ["creditCode", "name"]}
    issued_to = bearer(token_for("partner"))
    page = client.post(f"{ME}/query", json=query, headers=issued_to).get_json()
    cursor = page["meta"]["nextCursor"]
    assert cursor
    other = client.post(
        f"{ME}/query", json=query | {"cursor": cursor}, headers=bearer(token_for("partner"))
    )
    assert other.status_code == 400
    assert other.get_json()["type"] == "/problems/invalid-cursor"
    same = client.post(f"{ME}/query", json=query | {"cursor": cursor}, headers=issued_to)
    assert same.status_code == 200


def test_every_exchange_is_in_the_hash_chain(
    app: Flask, client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    token = token_for("partner")
    ok = client.get(f"{ME}/records/{demo_data.samples['haidian_entity']}", headers=bearer(token))
    denied = client.get("/v1/datasets/social-insurance-payment/records", headers=bearer(token))
    failed = client.get(f"{ME}/records?colour=red", headers=bearer(token))
    with app.extensions["jjj-gateway"].engine.connect() as conn:
        rows = conn.execute(select(audit_records).order_by(audit_records.c.seq)).all()
    assert [r.exchange_id for r in rows] == [
        ok.headers["X-Exchange-Id"],
        denied.headers["X-Exchange-Id"],
        failed.headers["X-Exchange-Id"],
    ]
    assert [r.decision for r in rows] == ["allow", "deny", "error"]
    prev = GENESIS
    for row in rows:
        assert row.prev_hash == prev
        assert chain_hash(prev, row.body) == row.hash
        prev = row.hash
    first = json.loads(rows[0].body)
    assert first["sources"][0]["node"] == "beijing-haidian"
    assert first["recordCount"] == 1
    assert first["traceId"] == ok.get_json()["meta"]["traceId"]
    # The audit record says who saw what, never the values themselves.
    record = ok.get_json()["data"]
    for name in ("name", "address", "legalRepName", "contactPhone", "creditCode"):
        assert record[name] not in rows[0].body


def test_an_unwritable_audit_trail_fails_closed(
    app: Flask, client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    token = token_for("partner")
    url = f"{ME}/records/{demo_data.samples['haidian_entity']}"
    name = client.get(url, headers=bearer(token)).get_json()["data"]["name"]
    with app.extensions["jjj-gateway"].engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_records")
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["type"] == "/problems/service-unavailable"
    assert "data" not in response.get_json() and name not in response.get_data(as_text=True)


def test_records_an_unwritable_audit_kept_from_the_caller_do_not_count_against_its_quota(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    services = app.extensions["jjj-gateway"]
    me = register("partner")
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*me)
    ).get_json()["access_token"]
    tier = services.config.policies.tiers["partner"]
    url = f"{ME}/records?region=120000&limit=5"
    assert client.get(url, headers=bearer(token, "statistics")).status_code == 200
    left = services.quotas.state(me[0], tier).records_remaining
    with services.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_records")
    assert client.get(url, headers=bearer(token, "statistics")).status_code == 503
    assert services.quotas.state(me[0], tier).records_remaining == left


def test_a_filter_on_a_visible_field_works_when_fields_leave_it_out(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        f"{ME}/records?status=存续&fields=creditCode,name&limit=10",
        headers=bearer(token_for("partner")),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["data"] and all(set(r) == {"creditCode", "name"} for r in body["data"])


def test_a_filter_on_the_region_field_asks_only_the_nodes_of_those_regions(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    body = client.get(
        f"{ME}/records?regionCode=110108&limit=2", headers=bearer(token_for("partner"))
    ).get_json()
    assert [s["node"] for s in body["meta"]["sources"]] == ["beijing-haidian"]
    assert len(body["data"]) == 2


def test_a_region_nobody_serves_is_an_empty_complete_answer(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        f"{ME}/records?regionCode=110101&region=120000", headers=bearer(token_for("partner"))
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["data"] == [] and body["meta"]["sources"] == [] and body["meta"]["complete"]
