"""The audit trail: who saw what, when, why; a chain that names its first broken link."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text, update

from gateway.audit.bundle import verify_bundle
from gateway.cli.main import main
from gateway.demo import GenerationReport
from gateway.storage.tables import audit_records

from .conftest import bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration"


def _auditor(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('regulator')}"}


def _traffic(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> dict[str, Any]:
    partner, opener = token_for("partner", region="120000"), token_for("open")
    allowed = client.get(
        f"{ME}/records/{demo_data.samples['haidian_entity']}", headers=bearer(partner)
    )
    denied = client.get("/v1/datasets/tax-credit-rating/records", headers=bearer(opener))
    failed = client.get(f"{ME}/records?colour=red", headers=bearer(partner, "statistics"))
    fan_out = client.get(
        f"{ME}/records?region=120000&limit=5", headers=bearer(partner, "statistics")
    )
    return {"allowed": allowed, "denied": denied, "failed": failed, "fan_out": fan_out}


def _verify(client: FlaskClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = client.get("/v1/audit/verify", headers=headers, query_string=params)
    assert response.status_code == 200
    return dict(response.get_json())


def test_audit_endpoints_need_audit_read(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    assert client.get("/v1/audit/exchanges").status_code == 401
    response = client.get("/v1/audit/exchanges", headers=bearer(token_for("partner")))
    assert response.status_code == 403
    assert 'scope="audit:read"' in response.headers["WWW-Authenticate"]


def test_records_carry_who_what_when_why(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    made = _traffic(client, token_for, demo_data)
    headers = _auditor(token_for)
    exchange_id = made["allowed"].headers["X-Exchange-Id"]
    record = client.get(f"/v1/audit/exchanges/{exchange_id}", headers=headers).get_json()["data"]
    assert record["exchangeId"] == exchange_id and record["kind"] == "exchange"
    assert record["decision"] == "allow" and record["ruleId"] == "allow-unconditional"
    assert record["dataset"] == "market-entity-registration" and record["purpose"] == "credit-check"
    assert record["clientTier"] == "partner" and record["clientRegion"] == "120000"
    assert record["traceId"] == made["allowed"].get_json()["meta"]["traceId"]
    assert record["sources"][0]["node"] == "beijing-haidian" and record["recordCount"] == 1
    assert record["fields"]["dropped"] == ["legalRepId"]
    assert record["httpStatus"] == 200 and len(record["responseHash"]) == 64
    assert {"seq", "prevHash", "hash", "tokenJti", "requestHash", "startedAt", "finishedAt"} <= set(
        record
    )
    denied_id = made["denied"].headers["X-Exchange-Id"]
    denied = client.get(f"/v1/audit/exchanges/{denied_id}", headers=headers).get_json()["data"]
    assert denied["decision"] == "deny" and denied["ruleId"] == "level-exceeds-tier"
    assert denied["problemType"] == "/problems/level-exceeds-tier"
    failed_id = made["failed"].headers["X-Exchange-Id"]
    failed = client.get(f"/v1/audit/exchanges/{failed_id}", headers=headers).get_json()["data"]
    assert failed["decision"] == "error" and failed["httpStatus"] == 400


def test_search_filters_and_cursor_pages(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    made = _traffic(client, token_for, demo_data)
    headers = _auditor(token_for)

    def ids(**params: str) -> list[str]:
        body = client.get("/v1/audit/exchanges", headers=headers, query_string=params).get_json()
        return [r["exchangeId"] for r in body["data"]]

    assert ids(decision="deny") == [made["denied"].headers["X-Exchange-Id"]]
    assert made["allowed"].headers["X-Exchange-Id"] in ids(
        dataset="market-entity-registration", purpose="credit-check"
    )
    assert made["fan_out"].headers["X-Exchange-Id"] in ids(region="120116")
    assert made["allowed"].headers["X-Exchange-Id"] in ids(region="110000")
    assert made["fan_out"].headers["X-Exchange-Id"] not in ids(region="110108")
    trace = made["allowed"].get_json()["meta"]["traceId"]
    assert ids(traceId=trace) == [made["allowed"].headers["X-Exchange-Id"]]
    assert ids(**{"from": "2100-01-01T00:00:00+00:00"}) == []
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", "kind": "exchange"} | ({"cursor": cursor} if cursor else {})
        body = client.get("/v1/audit/exchanges", headers=headers, query_string=params).get_json()
        seen += [r["exchangeId"] for r in body["data"]]
        cursor = body["meta"]["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    assert client.get("/v1/audit/exchanges?limit=0", headers=headers).status_code == 400
    assert client.get("/v1/audit/exchanges?from=yesterday", headers=headers).status_code == 400


def test_reading_the_trail_is_itself_recorded(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = _auditor(token_for)
    client.get("/v1/audit/exchanges?decision=deny", headers=headers)
    body = client.get("/v1/audit/exchanges?kind=audit", headers=headers).get_json()
    actions = [r["action"] for r in body["data"]]
    assert "audit.search" in actions


def test_an_untouched_chain_verifies_in_full_and_from_a_checkpoint(
    app: Flask, client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    _traffic(client, token_for, demo_data)
    headers = _auditor(token_for)
    app.extensions["jjj-gateway"].audit.checkpoint()
    _traffic(client, token_for, demo_data)
    full = _verify(client, headers)
    assert full["valid"] is True and full["firstBrokenSeq"] is None and full["checked"] >= 8
    partial = _verify(client, headers, **{"from": "checkpoint"})
    assert partial["valid"] is True and 0 < partial["checked"] < full["checked"]


# -- tampering ---------------------------------------------------------------------------------


def _sql(app: Flask, statement: str, **params: Any) -> None:
    with app.extensions["jjj-gateway"].engine.begin() as conn:
        conn.execute(text(statement), params)


def _broken(app: Flask) -> tuple[int | None, str]:
    services = app.extensions["jjj-gateway"]
    keys = {services.audit.signer.kid: services.audit.signer.jwk}
    result = services.audit_reader.verify(keys)
    assert result.valid is False
    return result.first_broken_seq, result.reason


@pytest.fixture
def chain(
    app: Flask, client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> Flask:
    for _ in range(3):
        _traffic(client, token_for, demo_data)
    return app


def test_a_changed_field_is_found(chain: Flask) -> None:
    with chain.extensions["jjj-gateway"].engine.connect() as conn:
        body = conn.execute(text("SELECT body FROM audit_records WHERE seq = 5")).scalar_one()
    changed = json.loads(body) | {"recordCount": 9999}
    _sql(
        chain,
        "UPDATE audit_records SET body = :b WHERE seq = 5",
        b=json.dumps(changed, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    )
    assert _broken(chain) == (5, "seq 5 was altered: its hash does not match its content")


def test_a_changed_search_column_is_found(chain: Flask) -> None:
    _sql(chain, "UPDATE audit_records SET client_id = 'someone-else' WHERE seq = 4")
    seq, reason = _broken(chain)
    assert seq == 4 and "client_id" in reason


def test_a_record_moved_in_time_is_found(chain: Flask) -> None:
    # Time ranges select by the column: moved, the record would drop out of its own day.
    with chain.extensions["jjj-gateway"].engine.begin() as conn:
        conn.execute(
            update(audit_records)
            .where(audit_records.c.seq == 4)
            .values(recorded_at=dt.datetime(2020, 1, 1, 8, tzinfo=dt.UTC))
        )
    assert _broken(chain) == (4, "seq 4: column recorded_at differs from the hashed record")


def test_a_record_hidden_from_region_search_is_found(chain: Flask) -> None:
    # Region search selects by the column: emptied, a lookup the Haidian node answered would
    # no longer be found by "who saw data of 110108".
    _sql(chain, "UPDATE audit_records SET regions = NULL WHERE seq = 4")
    assert _broken(chain) == (4, "seq 4: column regions differs from the hashed record")


def test_the_migration_derives_the_regions_of_earlier_records_from_their_hashed_body(
    chain: Flask,
) -> None:
    from alembic import command

    from gateway.storage.db import alembic_config, upgrade

    services = chain.extensions["jjj-gateway"]
    # As records were written before: only the regions the request asked for, none for a key
    # lookup (its key named the region only to the router).
    _sql(chain, "UPDATE audit_records SET regions = NULL")
    assert _broken(chain)[0] is not None
    url = services.engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0006")
    upgrade(url)
    signer = services.audit.signer
    assert services.audit_reader.verify({signer.kid: signer.jwk}).valid is True


def test_a_deleted_row_is_found(chain: Flask) -> None:
    _sql(chain, "DELETE FROM audit_records WHERE seq = 6")
    seq, reason = _broken(chain)
    assert seq == 6 and "missing" in reason


def test_an_inserted_row_is_found(chain: Flask) -> None:
    with chain.extensions["jjj-gateway"].engine.connect() as conn:
        rows = (
            conn.execute(text("SELECT * FROM audit_records WHERE seq >= 7 ORDER BY seq DESC"))
            .mappings()
            .all()
        )
    # Make room at seq 7 and forge a record there that links to seq 6.
    for row in rows:
        _sql(chain, "UPDATE audit_records SET seq = seq + 1 WHERE seq = :s", s=row["seq"])
    with chain.extensions["jjj-gateway"].engine.connect() as conn:
        prev = conn.execute(text("SELECT hash FROM audit_records WHERE seq = 6")).scalar_one()
    from gateway.audit.chain import chain_hash

    body = json.dumps(
        {
            "seq": 7,
            "prevHash": prev,
            "kind": "exchange",
            "exchangeId": "forged",
            "recordedAt": "2026-01-01T00:00:00+00:00",
            "decision": "allow",
            "httpStatus": 200,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    _sql(
        chain,
        "INSERT INTO audit_records (seq, exchange_id, kind, recorded_at, decision, "
        "http_status, body, prev_hash, hash) VALUES (7, 'forged', 'exchange', "
        "'2026-01-01 00:00:00+00:00', "
        "'allow', 200, :b, :p, :h)",
        b=body,
        p=prev,
        h=chain_hash(prev, body),
    )
    seq, reason = _broken(chain)
    assert seq == 8 and "another position" in reason


def test_swapped_rows_are_found(chain: Flask) -> None:
    with chain.extensions["jjj-gateway"].engine.connect() as conn:
        a, b = (
            conn.execute(
                text("SELECT body, hash, prev_hash FROM audit_records WHERE seq = :s"), {"s": s}
            ).one()
            for s in (3, 4)
        )
    _sql(
        chain,
        "UPDATE audit_records SET body = :b, hash = :h, prev_hash = :p WHERE seq = 3",
        b=b.body,
        h=b.hash,
        p=b.prev_hash,
    )
    _sql(
        chain,
        "UPDATE audit_records SET body = :b, hash = :h, prev_hash = :p WHERE seq = 4",
        b=a.body,
        h=a.hash,
        p=a.prev_hash,
    )
    assert _broken(chain)[0] == 3


def test_a_forged_checkpoint_signature_is_found(chain: Flask) -> None:
    mark = chain.extensions["jjj-gateway"].audit.checkpoint()
    assert mark is not None
    forged = mark["signature"][:-4] + ("AAAA" if mark["signature"][-4:] != "AAAA" else "BBBB")
    _sql(
        chain, "UPDATE audit_checkpoints SET signature = :s WHERE seq = :q", s=forged, q=mark["seq"]
    )
    seq, reason = _broken(chain)
    assert seq == mark["seq"] and "signature" in reason


def test_removing_the_newest_records_is_found_by_the_signed_head(chain: Flask) -> None:
    mark = chain.extensions["jjj-gateway"].audit.checkpoint()
    assert mark is not None
    _sql(chain, "DELETE FROM audit_records WHERE seq >= :s", s=mark["seq"] - 1)
    seq, reason = _broken(chain)
    assert seq == mark["seq"] - 1 and "signed checkpoint" in reason


# -- export and offline verification -----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_export_verifies_offline_and_a_tampered_one_does_not(
    chain: Flask, client: FlaskClient, token_for: Callable[..., str], tmp_path: Path, fmt: str
) -> None:
    headers = _auditor(token_for)
    response = client.get(f"/v1/audit/export?format={fmt}", headers=headers)
    assert response.status_code == 200
    text_ = response.get_data(as_text=True)
    result, header = verify_bundle(text_)
    assert result.valid and result.checkpoints_checked >= 1 and header["fromSeq"] == 1
    bundle = tmp_path / f"audit.{fmt}"
    bundle.write_text(text_, "utf-8")
    cli = CliRunner().invoke(main, ["audit", "verify", "--bundle", str(bundle)])
    assert cli.exit_code == 0, cli.output
    assert '"valid": true' in cli.output
    tampered = tmp_path / f"tampered.{fmt}"
    quoted = '\\"recordCount\\":1' if fmt == "jsonl" else '""recordCount"":1'
    assert quoted in text_
    tampered.write_text(text_.replace(quoted, quoted[:-1] + "2", 1), "utf-8")
    broken = CliRunner().invoke(main, ["audit", "verify", "--bundle", str(tampered)])
    assert broken.exit_code != 0 and "broken at seq" in broken.output


def test_pinning_another_key_refuses_a_bundle(
    chain: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from gateway.audit.signing_key import public_jwk

    text_ = client.get("/v1/audit/export", headers=_auditor(token_for)).get_data(as_text=True)
    stranger = public_jwk(Ed25519PrivateKey.generate().public_key())
    result, _ = verify_bundle(text_, {stranger["kid"]: stranger})
    assert not result.valid and "signature" in result.reason


def test_checkpoints_are_made_every_n_records(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    trail = app.extensions["jjj-gateway"].audit
    trail.checkpoint_every, trail.checkpoint_seconds = 3, 3600.0
    token = token_for("partner")
    for _ in range(7):
        client.get(f"{ME}/records?limit=1", headers=bearer(token, "statistics"))
    marks = app.extensions["jjj-gateway"].audit_reader.checkpoints()
    assert [m["seq"] for m in marks if m["seq"] % 3 == 0] == [m["seq"] for m in marks]
    assert len(marks) >= 2
    time.sleep(0)  # checkpoints by time are covered by checkpoint_seconds in production


# -- rotation of the checkpoint key ------------------------------------------------------------


def test_a_rotated_checkpoint_key_keeps_every_checkpoint_verifiable(
    app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    settings_overrides: dict[str, Any],
) -> None:
    instance = ["--instance", str(settings_overrides["instance_path"])]
    database = settings_overrides.get("database_url")
    env = {"GATEWAY_DATABASE_URL": database} if database else {}
    headers, partner = _auditor(token_for), bearer(token_for("partner"), "statistics")
    assert client.get(f"{ME}/records?limit=1", headers=partner).status_code == 200
    before = json.loads(CliRunner().invoke(main, [*instance, "audit", "key"], env=env).output)[
        "keys"
    ]
    assert len(before) == 1
    rotated = CliRunner().invoke(main, [*instance, "audit", "rotate-key"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert client.get(f"{ME}/records?limit=1", headers=partner).status_code == 200
    # The running gateway signs with the new key from its next checkpoint on.
    trail = app.extensions["jjj-gateway"].audit
    newest = trail.checkpoint()
    after = json.loads(CliRunner().invoke(main, [*instance, "audit", "key"], env=env).output)[
        "keys"
    ]
    assert {k["kid"] for k in after} == {before[0]["kid"], newest["kid"]}
    assert newest["kid"] != before[0]["kid"]
    retired = next(k for k in after if k["kid"] == before[0]["kid"])
    assert "retiredAt" in retired and "d" not in retired  # the public half only
    marks = app.extensions["jjj-gateway"].audit_reader.checkpoints()
    assert {m["kid"] for m in marks} == {before[0]["kid"], newest["kid"]}
    rotation = client.get(
        "/v1/audit/exchanges", headers=headers, query_string={"kind": "admin"}
    ).get_json()["data"]
    assert [r for r in rotation if r.get("action") == "audit-key.rotate"]
    assert _verify(client, headers)["valid"] is True
    bundle = client.get("/v1/audit/export", headers=headers).get_data(as_text=True)
    assert verify_bundle(bundle)[0].valid
    assert verify_bundle(bundle, {k["kid"]: k for k in after})[0].valid
    old_only, _ = verify_bundle(bundle, {before[0]["kid"]: before[0]})
    assert not old_only.valid and "signature" in old_only.reason


def test_a_damaged_retired_key_set_stops_the_signer_with_the_file_named(tmp_path: Path) -> None:
    from gateway.audit.signing_key import RETIRED_FILE, AuditSigner

    AuditSigner(tmp_path)
    (tmp_path / RETIRED_FILE).write_text("{not json", "utf-8")
    with pytest.raises(ValueError, match=RETIRED_FILE):
        AuditSigner(tmp_path)
