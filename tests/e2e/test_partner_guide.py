"""The partner integration guide works as written: every ```sh and ```python block of
docs/partner-guide.md runs, in order, against a demo gateway started for the test, and what the
blocks print makes sense."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from gateway.identity.clients import ClientStore
from gateway.storage import create_db_engine

from .guides import (
    REPO,
    GuideRun,
    assert_no_hard_coded_address,
    first_json,
    guide_blocks,
    json_documents,
    run_guide,
)

pytestmark = pytest.mark.slow

GUIDE = REPO / "docs" / "partner-guide.md"
# Variables the guide's shell must end up with; the test checks what they hold.
VARIABLES = ("POST_CLIENT", "JWT_CLIENT", "TOKEN", "POST_TOKEN", "JWT_TOKEN", "KEY", "PAGES")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuideRun]:
    with run_guide(GUIDE, tmp_path_factory.mktemp("partner-guide"), variables=VARIABLES) as run:
        yield run


def test_the_guide_names_the_gateway_only_through_one_variable() -> None:
    assert_no_hard_coded_address(GUIDE)


def _claims(run: GuideRun, token: str) -> dict:
    keys = KeySet.import_key_set(httpx.get(f"{run.base}/oauth/jwks").json())
    decoded = jwt.decode(token, keys, algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.claims["iss"] == run.base and decoded.claims["aud"] == f"{run.base}/v1"
    return dict(decoded.claims)


def test_the_guide_has_the_promised_parts() -> None:
    blocks = guide_blocks(GUIDE)
    python = [b for b in blocks if b.language == "python"]
    assert len(python) >= 2  # the key pair and the Python client
    text = GUIDE.read_text("utf-8")
    for needed in (
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "/.well-known/oauth-authorization-server",
        "/oauth/introspect",
        "/oauth/revoke",
        "X-Exchange-Complete",
        "nextCursor",
        "WWW-Authenticate",
    ):
        assert needed in text, needed


def test_a_token_is_obtained_with_each_client_authentication_method(run: GuideRun) -> None:
    metadata = first_json(run.output("/.well-known/oauth-authorization-server"))
    assert metadata["token_endpoint"] == f"{run.base}/oauth/token"
    shown = first_json(run.output("PARTNER_SECRET=$("))
    assert shown["token_type"] == "Bearer" and shown["expires_in"] == 600
    assert shown["scope"] == "data:read"

    variables = run.variables
    assert _claims(run, variables["TOKEN"])["client_id"] == "demo-partner"
    assert _claims(run, variables["POST_TOKEN"])["client_id"] == variables["POST_CLIENT"]
    jwt_claims = _claims(run, variables["JWT_TOKEN"])
    assert jwt_claims["client_id"] == variables["JWT_CLIENT"] and jwt_claims["tier"] == "partner"
    engine = create_db_engine(f"sqlite:///{run.instance / 'gateway.sqlite3'}")
    try:
        store = ClientStore(engine)
        post_client, jwt_client = (
            store.get(variables["POST_CLIENT"]),
            store.get(variables["JWT_CLIENT"]),
        )
    finally:
        engine.dispose()
    assert post_client is not None and post_client.auth_method == "client_secret_post"
    assert jwt_client is not None and jwt_client.auth_method == "private_key_jwt"
    assert jwt_client.jwks is not None and jwt_client.secret_hash is None

    registered = first_json(run.output('"authMethod": "client_secret_basic"'))
    assert registered["data"]["clientSecret"] and registered["data"]["tier"] == "partner"
    assert "client_id:" in run.output("--jwks-file instance/partner/jwks.json")
    replayed = run.output('client_assertion="$ASSERTION"\necho')
    assert first_json(replayed)["error"] == "invalid_client"
    assert (run.instance / "partner" / "private-key.pem").stat().st_mode & 0o077 == 0
    public = json.loads((run.instance / "partner" / "jwks.json").read_text("utf-8"))
    assert "d" not in public["keys"][0]
    verified = run.output("JWTClaimsRegistry")
    assert "valid: client demo-partner, tier partner" in verified


def test_the_data_calls_return_data(run: GuideRun) -> None:
    key = run.variables["KEY"]
    lookup = first_json(run.output('records/$KEY" | python3 -m json.tool'))
    assert lookup["data"]["creditCode"] == key and key[2:8] == "110108"
    assert lookup["meta"]["sources"][0]["node"] == "beijing-haidian"
    assert (
        lookup["meta"]["complete"] is True and "legalRepName" in lookup["meta"]["fields"]["masked"]
    )

    filtered = first_json(run.output("entityType.in="))
    assert filtered["data"], filtered
    for record in filtered["data"]:
        assert record["regionCode"].startswith("12") and record["status"] == "存续"
        assert record["establishedDate"] >= "2024-01-01"
        assert record["entityType"] in ("股份有限公司", "有限责任公司")
    assert {s["node"] for s in filtered["meta"]["sources"]} <= {"tianjin", "tianjin-binhai"}

    queried = first_json(run.output('/query"'))
    assert queried["data"] and queried["meta"]["complete"] is True
    assert {r["regionCode"][:2] for r in queried["data"]} <= {"12", "13"}
    assert all(r["registeredCapital"] >= 5000 for r in queried["data"])

    headers = run.output("grep -iE '^(x-exchange|ratelimit)'")
    assert re.search(r"(?im)^x-exchange-id: \S+", headers), headers
    assert re.search(r'(?im)^ratelimit-policy: "requests";q=300;w=60', headers), headers
    pages = re.findall(
        r"^page (\d+) (\d+) records from .+ complete$", run.output("while :; do"), re.M
    )
    assert len(pages) == int(run.variables["PAGES"]) >= 2, run.output("while :; do")


def test_the_python_client_looks_up_and_pages(run: GuideRun) -> None:
    printed = run.output("class GatewayClient", language="python")
    lookup = re.search(r"^key lookup: ([0-9A-Z]{18}) ", printed, re.M)
    assert lookup and lookup.group(1)[2:8] == "110108", printed
    assert re.search(r"^ +beijing-haidian +ok +1 records", printed, re.M), printed
    total = re.search(r"^total: (\d+) records in (\d+) pages$", printed, re.M)
    assert total and int(total.group(1)) > 0 and int(total.group(2)) >= 2, printed
    assert {"beijing-haidian", "tianjin", "hebei"} <= set(
        re.findall(r"^ +([a-z-]+) +ok ", printed, re.M)
    )


def test_a_typed_client_generated_from_a_datasets_document_reads_it(run: GuideRun) -> None:
    links = run.output("openapi-python-client generate")
    assert "/v1/datasets/market-entity-registration/openapi.json" in links, links
    printed = run.output("jjj_market_entity_registration import", language="python")
    found = re.findall(r"^typed client: ([0-9A-Z]{18}) ", printed, re.M)
    assert len(found) == 2 and all(key[2:8] == "110108" for key in found), printed
    assert "capped False" in printed, printed


def test_introspection_revocation_and_errors(run: GuideRun) -> None:
    introspected = first_json(run.output('"$GATEWAY/oauth/introspect" | python3'))
    assert introspected["active"] is True and introspected["client_id"] == "demo-partner"
    revoked = run.output("/oauth/revoke")
    assert '{"active": false}' in revoked
    assert "revoked token: HTTP 401" in revoked

    problem = first_json(run.output('-H "Authorization: Bearer $TOKEN" \\\n  "$GATEWAY/v1/'))
    assert problem["type"] == "/problems/purpose-required" and problem["exchangeId"]
    denied = first_json(run.output("social-insurance-payment"))
    assert denied["type"] == "/problems/level-exceeds-tier" and denied["ruleId"]
    assert first_json(run.output('"$GATEWAY/problems/level-exceeds-tier"'))["status"] == 403
    assert "/problems/grant-required" in run.output('"$GATEWAY/problems" |')
    challenges = run.output("grep -i '^www-authenticate'").strip().splitlines()
    assert len(challenges) == 2 and 'error="invalid_token"' in challenges[1], challenges
    oauth = run.output("not-the-secret")
    assert re.search(r"^HTTP/1.1 401", oauth, re.M)
    assert [d["error"] for d in json_documents(oauth)] == ["invalid_client", "invalid_scope"]
