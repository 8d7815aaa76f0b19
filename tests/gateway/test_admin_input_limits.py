"""Administration input: every field has its limits and character rules, declared once in the
request schemas (gateway.http.api.admin_schemas) and the same on SQLite and PostgreSQL — a 400
problem that names the field, never a 500; the CLI checks its options by the same schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from gateway.cli.main import main

pytestmark = pytest.mark.both_backends

CLIENT = {"name": "天津某银行", "region": "120000", "tier": "partner", "scopes": ["data:read"]}
GRANT = {
    "clientId": "jjj-somebody",
    "dataset": "real-estate-registration",
    "purpose": "property-transaction",
    "approver": "张三, 市数据局",
    "legalBasis": "京津冀政务数据共享协议",
}
NUL = "a\x00b"


@pytest.fixture
def admin(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('open', scopes=['admin'])}"}


def _refused(response: Any, path: str) -> str:
    assert response.status_code == 400, response.get_json()
    problem = response.get_json()
    assert problem["type"] == "/problems/validation-failed"
    messages = [e["message"] for e in problem["errors"] if e["path"] == path]
    assert messages, problem["errors"]
    return str(messages[0])


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", NUL, "control characters"),
        ("name", "x" * 100_000, "at most 200 characters"),
        ("name", "line\nbreak", "control characters"),
        ("name", "   ", "blank"),
        ("region", "1" * 17, "at most 16 characters"),
        ("region", NUL, "control characters"),
        ("tier", NUL, "control characters"),
        ("tier", "t" * 33, "at most 32 characters"),
        ("clientId", "jjj-a\x00", "control characters"),
        ("clientId", "jjj-trailing-newline\n", "control characters"),
        ("clientId", "x" * 65, "3–64 letters"),
        ("jwksUri", "https://keys.example/" + "k" * 500, "at most 500 characters"),
        ("jwksUri", "https://keys.example/\x00", "control characters"),
        ("jwks", {"keys": [{"kty": "EC", "kid": NUL}]}, "control characters"),
        ("jwks", {"keys": [{"kty": "EC"}] * 17}, "at most 16 items"),
    ],
)
def test_a_client_field_beyond_its_limits_is_a_400_naming_it(
    client: FlaskClient, admin: dict[str, str], field: str, value: Any, says: str
) -> None:
    body = CLIENT | {field: value}
    if field.startswith("jwks"):
        body["authMethod"] = "private_key_jwt"
    answer = client.post("/v1/admin/clients", headers=admin, json=body)
    path = f"$.{field}" if field != "jwks" else _first_error_path(answer)
    assert path.startswith(f"$.{field}")
    assert says in _refused(answer, path)


def _first_error_path(answer: Any) -> str:
    return str(answer.get_json()["errors"][0]["path"])


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("approver", "a" * 201, "at most 200 characters"),
        ("approver", NUL, "control characters"),
        ("legalBasis", "l" * 501, "at most 500 characters"),
        ("legalBasis", NUL, "control characters"),
        ("purpose", NUL, "control characters"),
        ("dataset", "d" * 65, "at most 64 characters"),
        ("clientId", NUL, "control characters"),
        ("clientId", "https://issuer.example.gov.cn#" + "c" * 300, "at most 300 characters"),
        ("fields", [NUL], "control characters"),
        ("regions", ["1" * 17], "at most 16 characters"),
        ("validUntil", "2027-01-01T00:00:00+08:00" + " " * 40, "at most 40 characters"),
    ],
)
def test_a_grant_field_beyond_its_limits_is_a_400_naming_it(
    client: FlaskClient, admin: dict[str, str], field: str, value: Any, says: str
) -> None:
    answer = client.post("/v1/admin/grants", headers=admin, json=GRANT | {field: value})
    path = f"$.{field}[0]" if isinstance(value, list) else f"$.{field}"
    assert says in _refused(answer, path)


@pytest.mark.parametrize("reason", [NUL, "r" * 501])
def test_a_revocation_reason_beyond_its_limits_is_a_400_naming_it(
    client: FlaskClient, admin: dict[str, str], reason: str
) -> None:
    answer = client.post(
        "/v1/admin/grants/0190a0a0-0000-7000-8000-000000000000/revoke",
        headers=admin,
        json={"reason": reason},
    )
    _refused(answer, "$.reason")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/admin/clients/a%00b"),
        ("post", "/v1/admin/clients/a%00b/disable"),
        ("post", "/v1/admin/clients/a%00b/enable"),
        ("get", f"/v1/admin/clients/{'c' * 300}"),
        ("get", "/v1/admin/grants/a%00b"),
        ("post", "/v1/admin/grants/a%00b/revoke"),
    ],
)
def test_an_id_no_client_or_grant_can_have_is_not_found(
    client: FlaskClient, admin: dict[str, str], method: str, path: str
) -> None:
    answer = getattr(client, method)(path, headers=admin)
    assert answer.status_code == 404, answer.get_json()


def test_a_grant_search_for_an_impossible_client_or_dataset_finds_nothing(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    for query in ("clientId=a%00b", "dataset=a%00b", f"clientId={'c' * 400}"):
        answer = client.get(f"/v1/admin/grants?{query}", headers=admin)
        assert answer.status_code == 200 and answer.get_json()["data"] == []


def test_the_published_request_schemas_are_the_ones_the_api_checks(client: FlaskClient) -> None:
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["ClientRegistration"]["properties"]["name"]["maxLength"] == 200
    assert schemas["GrantRequest"]["properties"]["approver"]["maxLength"] == 200
    assert schemas["GrantRequest"]["properties"]["legalBasis"]["maxLength"] == 500


@pytest.fixture
def cli(app: Flask) -> Callable[..., Any]:
    settings = app.extensions["jjj-gateway"].settings
    env = {"GATEWAY_DATABASE_URL": settings.database_url} if settings.database_url else {}

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["--instance", str(settings.instance_path), *args], env=env)

    return run


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--name", NUL, "--name: must not contain control characters"),
        ("--name", "x" * 100_000, "--name: at most 200 characters"),
        ("--client-id", "jjj-trailing-newline\n", "--client-id: must not contain control"),
        ("--jwks-uri", "ftp://keys.example", "--jwks-uri: an http(s) URL"),
    ],
)
def test_clients_add_checks_its_options_by_the_same_rules(
    cli: Callable[..., Any], option: str, value: str, says: str
) -> None:
    options = {"--name": "x", "--region": "120000", "--tier": "partner", "--scopes": "data:read"}
    result = cli("clients", "add", *[a for kv in (options | {option: value}).items() for a in kv])
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--approver", "a" * 201, "--approver: at most 200 characters"),
        ("--legal-basis", NUL, "--legal-basis: must not contain control characters"),
        ("--client", NUL, "--client: must not contain control characters"),
    ],
)
def test_grants_add_checks_its_options_by_the_same_rules(
    cli: Callable[..., Any], option: str, value: str, says: str
) -> None:
    options = {
        "--client": GRANT["clientId"],
        "--dataset": GRANT["dataset"],
        "--purpose": GRANT["purpose"],
        "--approver": GRANT["approver"],
        "--legal-basis": GRANT["legalBasis"],
    }
    result = cli("grants", "add", *[a for kv in (options | {option: value}).items() for a in kv])
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output


def test_clients_commands_on_an_impossible_id_say_no_such_client(cli: Callable[..., Any]) -> None:
    for command in ("show", "disable", "enable", "rotate-secret"):
        result = cli("clients", command, "a\x00b")
        assert result.exit_code != 0 and "no client" in result.output, result.output
        assert "Traceback" not in result.output
