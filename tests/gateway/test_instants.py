"""Instants: every time the gateway takes is read as the instant it names — with ``Z``, with
``+08:00``, or without an offset in the deployment's zone — and stored, compared and emitted as
UTC with its offset, on SQLite and on PostgreSQL alike (gateway.core.instants)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from gateway.cli.main import main
from gateway.core.settings import load_settings

from .conftest import basic, bearer

pytestmark = pytest.mark.both_backends

SHANGHAI = ZoneInfo("Asia/Shanghai")
SI = "social-insurance-payment"
SI_PURPOSE = "social-insurance-transfer"
APPROVER = "京津冀政务数据共享协调小组"
LEGAL_BASIS = "《京津冀政务数据共享协议》第五条"

#: How a caller may write one instant: with an offset of +08:00, in UTC with Z, or without an
#: offset, as a wall-clock time of the deployment's zone (the default, Asia/Shanghai).
STYLES: dict[str, Callable[[dt.datetime], str]] = {
    "plus-eight": lambda m: m.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(),
    "zulu": lambda m: m.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    "no-offset": lambda m: m.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _instant(text: str) -> dt.datetime:
    """An instant the gateway emitted: RFC 3339 in UTC, with its offset."""
    moment = dt.datetime.fromisoformat(text)
    assert moment.utcoffset() == dt.timedelta(0), text
    assert text.endswith("+00:00"), text
    return moment


def _admin(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('open', scopes=['admin'])}"}


def _holder(
    client: FlaskClient, register: Callable[..., tuple[str, str]], tier: str = "government"
) -> tuple[str, str]:
    """A client of the tier and its access token."""
    client_id, secret = register(tier)
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).get_json()["access_token"]
    return client_id, token


def _grant_body(client_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "clientId": client_id,
        "dataset": SI,
        "purpose": SI_PURPOSE,
        "approver": APPROVER,
        "legalBasis": LEGAL_BASIS,
        **extra,
    }


def _personal_data(client: FlaskClient, token: str) -> int:
    response = client.get(
        f"/v1/datasets/{SI}/records",
        query_string={"region": "120000", "limit": "1"},
        headers=bearer(token, SI_PURPOSE),
    )
    return response.status_code


def _cli(app: Flask, *args: str, env: dict[str, str] | None = None) -> Result:
    """The CLI on the app's instance folder and database."""
    settings = app.extensions["jjj-gateway"].settings
    result = CliRunner().invoke(
        main,
        ["--instance", str(settings.instance_path), *args],
        env={"GATEWAY_DATABASE_URL": settings.database_url, **(env or {})},
    )
    assert result.exit_code == 0, result.output
    return result


# -- grants ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_a_grant_window_is_the_instant_it_names_in_any_notation(
    style: str,
    client: FlaskClient,
    token_for: Callable[..., str],
    register: Callable[..., tuple[str, str]],
) -> None:
    holder, token = _holder(client, register)
    headers = _admin(token_for)
    start, end = _now() - dt.timedelta(hours=2), _now() - dt.timedelta(hours=1)
    created = client.post(
        "/v1/admin/grants",
        headers=headers,
        json=_grant_body(holder, validFrom=STYLES[style](start), validUntil=STYLES[style](end)),
    )
    assert created.status_code == 201, created.get_json()
    grant = created.get_json()["data"]
    assert grant["state"] == "expired"
    shown = client.get(f"/v1/admin/grants/{grant['id']}", headers=headers).get_json()["data"]
    assert shown["state"] == "expired"
    assert _instant(shown["validFrom"]) == start and _instant(shown["validUntil"]) == end
    # An expired grant opens nothing: the personal data stays behind rule grant-required.
    assert _personal_data(client, token) == 403


@pytest.mark.parametrize("style", STYLES)
def test_grants_add_reads_its_window_as_the_admin_api_does(
    style: str, app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    holder, token = _holder(client, register)
    start, end = _now() - dt.timedelta(hours=2), _now() - dt.timedelta(hours=1)
    result = _cli(
        app,
        "grants", "add", "--client", holder, "--dataset", SI, "--purpose", SI_PURPOSE,
        "--approver", APPROVER, "--legal-basis", LEGAL_BASIS,
        "--valid-from", STYLES[style](start), "--valid-until", STYLES[style](end), "--json",
    )  # fmt: skip
    grant = json.loads(result.stdout)["data"]
    assert grant["state"] == "expired"
    assert _instant(grant["validFrom"]) == start and _instant(grant["validUntil"]) == end
    listed = json.loads(_cli(app, "grants", "list", "--client", holder, "--json").stdout)
    assert [g["state"] for g in listed["data"]] == ["expired"]
    assert _personal_data(client, token) == 403


def test_an_active_window_in_plus_eight_opens_the_dataset(
    client: FlaskClient, token_for: Callable[..., str], register: Callable[..., tuple[str, str]]
) -> None:
    holder, token = _holder(client, register)
    end = _now() + dt.timedelta(hours=1)
    created = client.post(
        "/v1/admin/grants",
        headers=_admin(token_for),
        json=_grant_body(holder, validUntil=STYLES["plus-eight"](end)),
    )
    assert created.get_json()["data"]["state"] == "active"
    assert _personal_data(client, token) == 200


def test_a_bare_date_is_that_whole_day_in_the_deployment_zone(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = _admin(token_for)
    holder, _ = _register_for(app)("government")
    body = _grant_body(holder, validFrom="2027-06-01", validUntil="2027-06-30")
    grant = client.post("/v1/admin/grants", headers=headers, json=body).get_json()["data"]
    # Midnight in Shanghai is 16:00 UTC the day before; the named last day is included.
    assert grant["validFrom"] == "2027-05-31T16:00:00+00:00"
    assert grant["validUntil"] == "2027-06-30T16:00:00+00:00"
    assert grant["state"] == "pending"
    args = [
        "grants", "add", "--client", holder, "--dataset", SI, "--purpose", SI_PURPOSE,
        "--approver", APPROVER, "--legal-basis", LEGAL_BASIS,
        "--valid-from", "2027-06-01", "--valid-until", "2027-06-30", "--json",
    ]  # fmt: skip
    assert json.loads(_cli(app, *args).stdout)["data"] | {"id": grant["id"]} == grant
    utc = json.loads(_cli(app, *args, env={"GATEWAY_TIMEZONE": "UTC"}).stdout)["data"]
    assert (utc["validFrom"], utc["validUntil"]) == (
        "2027-06-01T00:00:00+00:00",
        "2027-07-01T00:00:00+00:00",
    )
    today = _now().astimezone(SHANGHAI).date().isoformat()
    ends_today = client.post(
        "/v1/admin/grants", headers=headers, json=_grant_body(holder, validUntil=today)
    ).get_json()["data"]
    assert ends_today["state"] == "active"


def _register_for(app: Flask) -> Callable[..., tuple[str, str]]:
    def register(tier: str) -> tuple[str, str]:
        made, secret = app.extensions["jjj-gateway"].clients.create(
            name=f"test {tier}", region="110000", tier=tier, scopes=["data:read"]
        )
        assert secret is not None
        return made.client_id, secret

    return register


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30",
        "2026-13-01T00:00:00Z",
        "2026-12-03T24:00:00+08:00",
        "2026-12-03T08:00:00+24:00",
        "9999-12-31",
        "0001-01-01T00:00:00+08:00",
        "20261203T080000Z",
        "next week",
        17,
    ],
)
def test_a_time_that_names_no_instant_is_a_problem_not_a_500(
    value: Any, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    admin = _admin(token_for)
    grant = client.post("/v1/admin/grants", headers=admin, json=_grant_body("x", validUntil=value))
    assert grant.status_code == 400, grant.get_json()
    assert grant.get_json()["type"] == "/problems/validation-failed"
    assert "$.validUntil" in {e["path"] for e in grant.get_json()["errors"]}
    auditor = {"Authorization": f"Bearer {token_for('regulator')}"}
    for path in ("/v1/audit/exchanges", "/v1/audit/export"):
        search = client.get(path, query_string={"to": str(value)}, headers=auditor)
        assert search.status_code == 400, search.get_data(as_text=True)
        assert search.get_json()["errors"][0]["path"] == "$.query.to"


# -- what can never apply -------------------------------------------------------------------------


def test_a_grant_that_can_never_apply_is_issued_with_warnings(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = _admin(token_for)
    register = _register_for(app)
    partner, _ = register("partner")
    government, _ = register("government")

    def issue(**body: Any) -> list[str]:
        response = client.post("/v1/admin/grants", headers=headers, json=_grant_body(**body))
        assert response.status_code == 201, response.get_json()
        warnings: list[str] = response.get_json()["warnings"]
        return warnings

    assert issue(client_id=government) == []
    [above] = issue(client_id=partner)
    assert "never applies" in above and "level 3" in above and "partner" in above
    [unconditional] = issue(
        client_id=government, dataset="market-entity-registration", purpose="credit-check"
    )
    assert "shared unconditionally" in unconditional
    over = _now() - dt.timedelta(days=1)
    [ended] = issue(
        client_id=government,
        validFrom=STYLES["zulu"](over - dt.timedelta(days=1)),
        validUntil=STYLES["zulu"](over),
    )
    assert "window ended" in ended
    args = [
        "grants", "add", "--client", partner, "--dataset", SI, "--purpose", SI_PURPOSE,
        "--approver", APPROVER, "--legal-basis", LEGAL_BASIS,
    ]  # fmt: skip
    people = _cli(app, *args)
    assert "warning: never applies" in people.stderr
    assert "warning" not in people.stdout and "state:" in people.stdout
    programs = json.loads(_cli(app, *args, "--json").stdout)
    assert programs["warnings"] == [above] and programs["data"]["state"] == "active"


# -- audit ranges ---------------------------------------------------------------------------------


def _exchanges(client: FlaskClient, register: Callable[..., tuple[str, str]], n: int) -> str:
    """n audited exchanges of a new client; returns the client id."""
    holder, token = _holder(client, register, "partner")
    for _ in range(n):
        response = client.get(
            "/v1/datasets/market-entity-registration/records?limit=1",
            headers=bearer(token, "statistics"),
        )
        assert response.status_code == 200
    return holder


@pytest.mark.parametrize("style", STYLES)
def test_audit_search_ranges_are_the_instants_they_name(
    style: str,
    client: FlaskClient,
    token_for: Callable[..., str],
    register: Callable[..., tuple[str, str]],
) -> None:
    holder = _exchanges(client, register, 3)
    auditor = {"Authorization": f"Bearer {token_for('regulator')}"}
    ten_minutes_ago = STYLES[style](_now() - dt.timedelta(minutes=10))
    in_ten_minutes = STYLES[style](_now() + dt.timedelta(minutes=10))

    def found(**bounds: str) -> int:
        response = client.get(
            "/v1/audit/exchanges", query_string={"clientId": holder, **bounds}, headers=auditor
        )
        assert response.status_code == 200, response.get_json()
        count: int = response.get_json()["meta"]["count"]
        return count

    assert found(**{"from": ten_minutes_ago}) == 3
    assert found(**{"from": ten_minutes_ago, "to": in_ten_minutes}) == 3
    assert found(to=ten_minutes_ago) == 0
    assert found(**{"from": in_ten_minutes}) == 0
    today = _now().astimezone(SHANGHAI).date()
    assert found(**{"from": today.isoformat(), "to": today.isoformat()}) == 3
    assert found(to=(today - dt.timedelta(days=1)).isoformat()) == 0


@pytest.mark.parametrize("style", STYLES)
def test_audit_export_ranges_are_the_instants_they_name(
    style: str,
    app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    register: Callable[..., tuple[str, str]],
    tmp_path: Path,
) -> None:
    holder = _exchanges(client, register, 2)
    auditor = {"Authorization": f"Bearer {token_for('regulator')}"}
    ten_minutes_ago = STYLES[style](_now() - dt.timedelta(minutes=10))
    exported = client.get(
        "/v1/audit/export", query_string={"from": ten_minutes_ago}, headers=auditor
    )
    assert exported.status_code == 200, exported.get_data(as_text=True)
    lines = [json.loads(line) for line in exported.get_data(as_text=True).splitlines()]
    assert lines[0]["fromSeq"] == 1
    ours = [e for e in lines if e["type"] == "record" and holder in e["body"]]
    assert len(ours) == 2
    before = client.get("/v1/audit/export", query_string={"to": ten_minutes_ago}, headers=auditor)
    assert before.status_code == 200  # an empty range is an empty, verifiable bundle
    assert not [
        line for line in before.get_data(as_text=True).splitlines() if '"type":"record"' in line
    ]
    out = tmp_path / "bundle.jsonl"
    _cli(app, "audit", "export", "--from", ten_minutes_ago, "-o", str(out))
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert sum(1 for e in records if e["type"] == "record" and holder in e["body"]) == 2


# -- what the gateway emits -----------------------------------------------------------------------


def test_every_instant_the_admin_api_and_the_cli_emit_carries_an_offset(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = _admin(token_for)
    created = client.post(
        "/v1/admin/clients",
        headers=headers,
        json={
            "name": "天津某银行",
            "region": "120000",
            "tier": "government",
            "scopes": ["data:read"],
        },
    ).get_json()["data"]
    assert _instant(created["createdAt"]) <= _now()
    listing = client.get("/v1/admin/clients?perPage=100", headers=headers).get_json()["data"]
    shown = client.get(f"/v1/admin/clients/{created['clientId']}", headers=headers).get_json()
    every = [*listing, shown["data"]]
    every += json.loads(_cli(app, "clients", "list", "--json").stdout)["data"]
    every.append(
        json.loads(_cli(app, "clients", "show", created["clientId"], "--json").stdout)["data"]
    )
    for one in every:
        _instant(one["createdAt"])
    grant = client.post(
        "/v1/admin/grants", headers=headers, json=_grant_body(created["clientId"])
    ).get_json()["data"]
    revoked = client.post(f"/v1/admin/grants/{grant['id']}/revoke", headers=headers).get_json()
    for name in ("validFrom", "revokedAt"):
        _instant(revoked["data"][name])
    for key in json.loads(_cli(app, "keys", "list", "--json").stdout)["data"]:
        _instant(key["createdAt"])


def test_clients_grants_and_keys_lists_have_a_header_for_people_and_json_for_programs(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    holder, _ = _register_for(app)("government")
    client.post("/v1/admin/grants", headers=_admin(token_for), json=_grant_body(holder))
    for command, header in (
        (["clients", "list"], "CLIENT ID"),
        (["grants", "list"], "GRANT ID"),
        (["keys", "list"], "KID"),
    ):
        table = _cli(app, *command).stdout.splitlines()
        assert table[0].split()[: len(header.split())] == header.split(), table
        assert len(table) >= 2
        as_json = json.loads(_cli(app, *command, "--json").stdout)
        assert len(as_json["data"]) == len(table) - 1
    assert holder in _cli(app, "clients", "list").stdout
    shown = _cli(app, "clients", "show", holder).stdout
    assert "clientId:" in shown and holder in shown


def test_an_unknown_time_zone_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match=r"invalid setting.*Mars/Olympus_Mons"):
        load_settings({"timezone": "Mars/Olympus_Mons"}, environ={})
    assert load_settings({}, environ={"GATEWAY_TIMEZONE": "UTC"}).zone == ZoneInfo("UTC")
    assert load_settings({}, environ={}).timezone == "Asia/Shanghai"
