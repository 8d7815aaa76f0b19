"""The partner integration guide works as written: every ```sh and ```python block of
docs/partner-guide.md runs, in order, against a demo gateway started for the test, and what the
blocks print makes sense."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from gateway.clients import ClientStore
from gateway.storage import create_db_engine

from .processes import JJJ, Process, free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "partner-guide.md"
GUIDE_BASE = "http://127.0.0.1:8080"
GUIDE_INSTANCE = "instance/"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```$", re.S | re.M)
MARK = "<<<guide-block-{}>>>"
# Variables the guide's shell must end up with; the test checks what they hold.
VARIABLES = ("POST_CLIENT", "JWT_CLIENT", "TOKEN", "POST_TOKEN", "JWT_TOKEN", "KEY", "PAGES")


@dataclass(frozen=True)
class Block:
    index: int
    language: str
    code: str


@dataclass
class Run:
    base: str
    instance: Path
    blocks: list[Block]
    outputs: dict[int, str]
    variables: dict[str, str]

    def output(self, snippet: str, language: str = "sh") -> str:
        """What the first block whose code contains `snippet` printed."""
        for block in self.blocks:
            if block.language == language and snippet in block.code:
                return self.outputs[block.index]
        raise AssertionError(f"no {language} block of the guide contains {snippet!r}")


def guide_blocks() -> list[Block]:
    return [
        Block(i, m.group(1), m.group(2))
        for i, m in enumerate(BLOCK.finditer(GUIDE.read_text("utf-8")))
    ]


def json_documents(text: str) -> list[object]:
    """Every JSON object printed in `text` (pretty-printed or not, mixed with other lines)."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while (start := text.find("{", position)) != -1:
        try:
            document, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        found.append(document)
        position = end
    return found


def first_json(text: str) -> dict:
    documents = json_documents(text)
    assert documents, f"no JSON in the output:\n{text}"
    assert isinstance(documents[0], dict)
    return documents[0]


def _script(blocks: list[Block], workdir: Path, base: str, instance: Path) -> str:
    lines = ["set -euo pipefail"]
    for block in blocks:
        code = block.code.replace(GUIDE_BASE, base).replace(GUIDE_INSTANCE, f"{instance}/")
        lines.append(f"echo '>>> guide block {block.index} ({block.language})' >&2")
        if block.language == "sh":
            lines.append(code)
        else:
            path = workdir / f"guide-block-{block.index}.py"
            path.write_text(code, "utf-8")
            lines.append(f".venv/bin/python {path.name}")
        lines.append(f"echo '{MARK.format(block.index)}'")
    lines += [
        f"echo '{MARK.format('variables')}'",
        f'for v in {" ".join(VARIABLES)}; do printf \'%s=%s\\n\' "$v" "${{!v}}"; done',
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    blocks = guide_blocks()
    assert {b.language for b in blocks} == {"sh", "python"}, "the guide has no runnable blocks"
    workdir = tmp_path_factory.mktemp("partner-guide")
    (workdir / ".venv").symlink_to(REPO / ".venv")
    instance = workdir / "instance"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = Process(
        "demo",
        [JJJ, "--instance", str(instance), "demo", "--bind", f"127.0.0.1:{port}"],
        env={},
        log_dir=workdir,
        health_url=f"{base}/healthz",
    )
    demo.start(timeout=90)
    try:
        # A fresh shell: nothing of the test's own configuration leaks into the commands.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "OTEL_"))}
        result = subprocess.run(
            ["bash", "-c", _script(blocks, workdir, base, instance)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            last = re.findall(r">>> guide block (\d+)", result.stderr)
            failed = blocks[int(last[-1])] if last else None
            pytest.fail(
                f"a command of the guide failed (exit {result.returncode}) in block "
                f"{failed.index if failed else '?'}:\n{failed.code if failed else ''}\n"
                f"--- stderr ---\n{result.stderr[-3000:]}\n"
                f"--- stdout ---\n{result.stdout[-3000:]}\n--- demo log ---\n{demo.log()}",
                pytrace=False,
            )
        outputs: dict[int, str] = {}
        rest = result.stdout
        for block in blocks:
            before, mark, rest = rest.partition(MARK.format(block.index) + "\n")
            assert mark, f"no output marker of block {block.index}"
            outputs[block.index] = before
        _, mark, dump = rest.partition(MARK.format("variables") + "\n")
        assert mark
        variables = dict(line.split("=", 1) for line in dump.splitlines())
        yield Run(base, instance, blocks, outputs, variables)
    finally:
        demo.stop()


def _claims(run: Run, token: str) -> dict:
    keys = KeySet.import_key_set(httpx.get(f"{run.base}/oauth/jwks").json())
    decoded = jwt.decode(token, keys, algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.claims["iss"] == run.base and decoded.claims["aud"] == f"{run.base}/v1"
    return dict(decoded.claims)


def test_the_guide_has_the_promised_parts() -> None:
    blocks = guide_blocks()
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


def test_a_token_is_obtained_with_each_client_authentication_method(run: Run) -> None:
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


def test_the_data_calls_return_data(run: Run) -> None:
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


def test_the_python_client_looks_up_and_pages(run: Run) -> None:
    printed = run.output("class GatewayClient", language="python")
    lookup = re.search(r"^key lookup: ([0-9A-Z]{18}) ", printed, re.M)
    assert lookup and lookup.group(1)[2:8] == "110108", printed
    assert re.search(r"^ +beijing-haidian +ok +1 records", printed, re.M), printed
    total = re.search(r"^total: (\d+) records in (\d+) pages$", printed, re.M)
    assert total and int(total.group(1)) > 0 and int(total.group(2)) >= 2, printed
    assert {"beijing-haidian", "tianjin", "hebei"} <= set(
        re.findall(r"^ +([a-z-]+) +ok ", printed, re.M)
    )


def test_introspection_revocation_and_errors(run: Run) -> None:
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
