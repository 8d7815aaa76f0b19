"""How far signed checkpoints vouch for the audit chain: an export is valid only when a signed
checkpoint covers its last record and its records run exactly over the range its header names;
the database's verification says how far the chain is anchored; readiness includes the ability
to append to the trail."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from gateway.audit.actions import Actor, admin_record
from gateway.audit.bundle import verify_bundle
from gateway.audit.chain import chain_hash
from gateway.cli.main import main
from gateway.core.canonical import canonical_json

pytestmark = pytest.mark.both_backends

BASE = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
RECORDS = 23  # checkpoints every 5 records: seq 5, 10, 15, 20; the head (23) is not signed yet


@pytest.fixture
def trail_app(app: Flask) -> Flask:
    """An app whose chain holds RECORDS records, one a minute from BASE, signed every five."""
    trail = app.extensions["jjj-gateway"].audit
    trail.checkpoint_every, trail.checkpoint_seconds = 5, 3600.0
    for i in range(RECORDS):
        record = admin_record(Actor("cli:operator"), "clients.disable", target=f"client-{i}")
        trail.append(record | {"recordedAt": (BASE + dt.timedelta(minutes=i)).isoformat()})
    return app


def _auditor(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('regulator')}"}


def _export(client: FlaskClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audit/export", headers=headers, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def _bundle(entries: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries)


def _of(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["type"] == kind]


def _cli_env(settings_overrides: dict[str, Any]) -> tuple[list[str], dict[str, str | None]]:
    """The command line's options and environment for the app's instance and database."""
    instance = ["--instance", str(settings_overrides["instance_path"])]
    database = settings_overrides.get("database_url")
    return instance, {"GATEWAY_DATABASE_URL": database} if database else {}


def _cli(settings_overrides: dict[str, Any], *args: str) -> Result:
    instance, env = _cli_env(settings_overrides)
    return CliRunner().invoke(main, [*instance, *args], env=env)


# -- bundles -------------------------------------------------------------------------------------


def test_a_bundle_whose_tail_was_cut_with_its_checkpoint_does_not_verify(
    trail_app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    entries = _export(client, _auditor(token_for))
    header, records, marks = entries[0], _of(entries, "record"), _of(entries, "checkpoint")
    assert verify_bundle(_bundle(entries))[0].valid
    assert marks[-1]["seq"] == header["toSeq"] == records[-1]["seq"]
    # The newest records and the checkpoint over them go; the earlier checkpoints still fit.
    cut = [e for e in entries if e not in records[-3:] and e is not marks[-1]]
    result, _ = verify_bundle(_bundle(cut))
    assert not result.valid
    assert result.first_broken_seq == header["toSeq"] - 2
    assert f"should run to seq {header['toSeq']}" in result.reason


def test_a_rewritten_bundle_without_its_checkpoints_is_unanchored_not_valid(
    trail_app: Flask, client: FlaskClient, token_for: Callable[..., str], tmp_path: Path
) -> None:
    entries = _export(client, _auditor(token_for))
    forged, prev = [], entries[0]["anchor"]
    for entry in entries:
        if entry["type"] == "checkpoint":
            continue  # every signature is dropped
        if entry["type"] == "record":
            body = json.loads(entry["body"])
            if body["seq"] == 7:
                body["target"] = "someone-else"
            body["prevHash"] = prev
            canonical = canonical_json(body)
            entry = entry | {
                "prevHash": prev,
                "body": canonical,
                "hash": chain_hash(prev, canonical),
            }
            prev = entry["hash"]
        forged.append(entry)
    result, _ = verify_bundle(_bundle(forged))
    assert not result.valid and result.status == "unanchored"
    assert result.checkpoints_checked == 0 and result.anchored_through is None
    assert "no signed checkpoint covers the last record" in result.reason
    path = tmp_path / "forged.jsonl"
    path.write_text(_bundle(forged), "utf-8")
    cli = CliRunner().invoke(main, ["audit", "verify", "--bundle", str(path)])
    assert cli.exit_code == 1 and "unanchored" in cli.output
    assert json.loads(cli.stdout)["status"] == "unanchored"


def test_a_record_added_beyond_the_bundles_range_is_found(
    trail_app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    entries = _export(client, _auditor(token_for))
    last = _of(entries, "record")[-1]
    body = json.loads(last["body"]) | {"seq": last["seq"] + 1, "prevHash": last["hash"]}
    canonical = canonical_json(body)
    extra = {
        "type": "record",
        "seq": last["seq"] + 1,
        "prevHash": last["hash"],
        "body": canonical,
        "hash": chain_hash(last["hash"], canonical),
    }
    result, _ = verify_bundle(_bundle([*entries, extra]))
    assert not result.valid and result.first_broken_seq == last["seq"] + 1
    assert "beyond the last seq" in result.reason


@pytest.mark.parametrize(
    ("minutes", "last_seq"),
    [(12.5, 13), (21.5, 22)],
    ids=["between-checkpoints", "in-the-unsigned-tail"],
)
def test_an_export_of_a_range_ending_between_checkpoints_is_signed_over_its_last_record(
    trail_app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    minutes: float,
    last_seq: int,
) -> None:
    until = (BASE + dt.timedelta(minutes=minutes)).isoformat()
    entries = _export(client, _auditor(token_for), to=until)
    assert entries[0]["toSeq"] == last_seq
    assert _of(entries, "checkpoint")[-1]["seq"] == last_seq
    result, _ = verify_bundle(_bundle(entries))
    assert result.valid and result.head_anchored and result.anchored_through == last_seq
    assert result.checked == last_seq


def test_an_export_signs_no_record_that_does_not_link_to_a_later_checkpoint(
    trail_app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    with trail_app.extensions["jjj-gateway"].engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET body = body || ' ' WHERE seq = 14"))
    until = (BASE + dt.timedelta(minutes=12.5)).isoformat()
    entries = _export(client, _auditor(token_for), to=until)
    marks = trail_app.extensions["jjj-gateway"].audit_reader.checkpoints()
    assert 13 not in {m["seq"] for m in marks}
    result, _ = verify_bundle(_bundle(entries))
    assert not result.valid and result.status == "unanchored" and result.anchored_through == 10


def test_an_empty_range_is_a_valid_verifiable_bundle(
    trail_app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    settings_overrides: dict[str, Any],
    tmp_path: Path,
) -> None:
    entries = _export(client, _auditor(token_for), **{"from": "2030-01-01T00:00:00+00:00"})
    assert not _of(entries, "record")
    assert entries[0]["toSeq"] == entries[0]["fromSeq"] - 1
    assert verify_bundle(_bundle(entries))[0].valid
    out = tmp_path / "empty.jsonl"
    exported = _cli(
        settings_overrides,
        "audit",
        "export",
        *f"--from 2030-01-01 --to 2030-01-02 -o {out}".split(),
    )
    assert exported.exit_code == 0, exported.output
    verified = CliRunner().invoke(main, ["audit", "verify", "--bundle", str(out)])
    assert verified.exit_code == 0, verified.output
    shown = json.loads(verified.stdout)
    assert shown["valid"] is True and shown["checked"] == 0


def test_reversed_export_dates_are_named_as_the_mistake(
    trail_app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    settings_overrides: dict[str, Any],
    tmp_path: Path,
) -> None:
    out = tmp_path / "reversed.jsonl"
    result = _cli(
        settings_overrides,
        "audit",
        "export",
        *f"--from 2026-12-02 --to 2026-12-01 -o {out}".split(),
    )
    assert result.exit_code == 2 and "is not before --to" in result.output
    assert not out.exists()
    answer = client.get(
        "/v1/audit/export",
        headers=_auditor(token_for),
        query_string={"from": "2026-12-02T00:00:00+00:00", "to": "2026-12-01T00:00:00+00:00"},
    )
    assert answer.status_code == 400
    assert answer.content_type == "application/problem+json"
    assert "from must be before to" in answer.get_json()["detail"]


def test_an_export_and_its_verification_report_progress_on_stderr_only(
    trail_app: Flask,
    settings_overrides: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gateway.cli.output.PROGRESS_EVERY", 10)
    out = tmp_path / "all.jsonl"
    quiet = _cli(settings_overrides, "audit", "export", "-o", str(out))
    assert quiet.exit_code == 0 and "exported 10" not in quiet.stderr
    loud = _cli(settings_overrides, "audit", "export", "--progress", "-o", str(out))
    assert loud.exit_code == 0, loud.output
    assert "exported 10 of" in loud.stderr and "exported 20 of" in loud.stderr
    verified = CliRunner().invoke(main, ["audit", "verify", "--progress", "--bundle", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "verified 20 records" in verified.stderr
    assert json.loads(verified.stdout)["valid"] is True  # standard output holds the JSON only
    database = _cli(settings_overrides, "audit", "verify", "--progress")
    assert database.exit_code == 0 and "verified 20 records" in database.stderr
    json.loads(database.stdout)


def test_cli_exports_name_the_issuer_the_demo_serves_under(
    app: Flask, settings_overrides: dict[str, Any]
) -> None:
    instance, env = _cli_env(settings_overrides)
    env |= {"GATEWAY_DATA_DIR": str(settings_overrides["data_dir"]), "GATEWAY_ISSUER": ""}
    demo = CliRunner().invoke(
        main, [*instance, "demo", "--no-serve", "--bind", "127.0.0.1:9321"], env=env
    )
    assert demo.exit_code == 0, demo.output
    exported = CliRunner().invoke(main, [*instance, "audit", "export"], env=env)
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout.splitlines()[0])["issuer"] == "http://127.0.0.1:9321"
    configured = CliRunner().invoke(
        main, [*instance, "audit", "export"], env=env | {"GATEWAY_ISSUER": "https://jjj.example"}
    )
    assert json.loads(configured.stdout.splitlines()[0])["issuer"] == "https://jjj.example"


# -- the database's chain ------------------------------------------------------------------------


def test_verification_says_how_far_the_chain_is_anchored(
    trail_app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    settings_overrides: dict[str, Any],
) -> None:
    headers = _auditor(token_for)
    answer = client.get("/v1/audit/verify", headers=headers).get_json()
    assert answer["valid"] is True and answer["lastSeq"] == RECORDS + 1  # + the verify itself
    assert answer["anchoredThrough"] == 20 and answer["headAnchored"] is False
    assert answer["anchoredAt"] is not None
    # The newest records go together with the checkpoints over them: nothing in the database
    # contradicts that, but the answer shows how little is still anchored.
    with trail_app.extensions["jjj-gateway"].engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > 10"))
        conn.execute(text("DELETE FROM audit_records WHERE seq > 10"))
    instance, env = _cli_env(settings_overrides)
    cli = CliRunner().invoke(main, [*instance, "audit", "verify"], env=env)
    assert cli.exit_code == 0, cli.output
    shown = json.loads(cli.stdout)
    assert shown["anchoredThrough"] == 10 and shown["lastSeq"] == 10 and shown["headAnchored"]
    trail_app.extensions["jjj-gateway"].audit.append(
        admin_record(Actor("cli:operator"), "clients.enable", target="client-1")
    )
    answer = client.get("/v1/audit/verify", headers=headers).get_json()
    assert answer["anchoredThrough"] == 10 and answer["headAnchored"] is False
    assert "not yet covered by a signed checkpoint" in answer["reason"]
