"""The adapter server end to end: real loopback servers, real ES256 tokens, real JWKS."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from joserfc.jwk import ECKey, OKPKey
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapters import (
    Adapter,
    FileAdapter,
    Health,
    Page,
    QueryRequest,
    SqlAdapter,
    TokenVerifier,
    create_adapter_app,
    create_server_for_node,
)
from adapters.server import MAX_BODY_BYTES
from tests.adapters.conftest import (
    DATASET,
    ISSUER,
    NODE_ID,
    RECORDS,
    b64url,
    claims_for,
    file_node,
    json_app,
    keys_of,
    public_jwks,
    sign,
    snapshot_node,
    sql_node,
    write_jsonl,
)
from tests.drip import drip_server

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


@pytest.fixture
def node_url(start_node: Callable[[Adapter], str], tmp_path: Path) -> Iterator[str]:
    adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    yield start_node(adapter)
    adapter.close()


@pytest.fixture
def http(node_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=node_url, timeout=10) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_query(
    http: httpx.Client, token: str | None, body: Any = None, **headers: str
) -> httpx.Response:
    all_headers = dict(headers)
    if token is not None:
        all_headers.update(bearer(token))
    content = (
        body
        if isinstance(body, bytes)
        else json.dumps(body if body is not None else {"dataset": DATASET}).encode()
    )
    return http.post(
        "/query", content=content, headers={"Content-Type": "application/json", **all_headers}
    )


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(problem)
    return problem


# --- a valid token gets records ---------------------------------------------------------------


def test_a_valid_gateway_token_gets_records(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    body = {
        "dataset": DATASET,
        "filter": {"regionCode": "110108"},
        "fields": ["creditCode", "name"],
        "limit": 10,
        "cursor": None,
    }
    response = post_query(http, gateway_token(), body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "北京海淀科技有限公司" in response.content.decode("utf-8")  # not \\u-escaped
    assert response.json() == {
        "records": [
            {"creditCode": "91110108MA00000001", "name": "北京海淀科技有限公司"},
            {"creditCode": "91110108MA00000002", "name": "北京海淀软件有限公司"},
        ],
        "nextCursor": None,
    }


def test_pages_continue_with_the_returned_cursor(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    first = post_query(http, gateway_token(), {"dataset": DATASET, "limit": 5}).json()
    second = post_query(
        http, gateway_token(), {"dataset": DATASET, "limit": 5, "cursor": first["nextCursor"]}
    ).json()
    assert keys_of([*first["records"], *second["records"]]) == keys_of(RECORDS)
    assert second["nextCursor"] is None


def test_an_eddsa_token_is_accepted(http: httpx.Client, ed_key: OKPKey) -> None:
    response = post_query(http, sign(ed_key, claims_for()))
    assert response.status_code == 200


def test_clock_skew_of_up_to_thirty_seconds_is_tolerated(
    http: httpx.Client, gateway_key: ECKey
) -> None:
    now = int(time.time())
    token = sign(gateway_key, claims_for(iat=now - 70, exp=now - 10))
    assert post_query(http, token).status_code == 200


def test_an_audience_list_naming_the_node_is_accepted(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    assert post_query(http, gateway_token(aud=["other-node", NODE_ID])).status_code == 200


# --- everything else is 401 -------------------------------------------------------------------


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


def hs256_with_public_key(key: ECKey) -> str:
    """The classic confusion attack: HMAC keyed with the published public key."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    encoded = [b64url(json.dumps(part).encode()) for part in (header, claims_for())]
    signing_input = ".".join(encoded)
    secret = key.as_pem(private=False)
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def forged_tokens(gateway_key: ECKey, other_key: ECKey) -> dict[str, str]:
    now = int(time.time())
    return {
        "malformed": "not-a-jwt",
        "three-garbage-parts": "a.b.c",
        "expired": sign(gateway_key, claims_for(iat=now - 120, exp=now - 60)),
        "wrong-audience": sign(gateway_key, claims_for(aud="other-node")),
        "wrong-issuer": sign(gateway_key, claims_for(iss="http://evil.test")),
        "other-key": sign(other_key, claims_for()),
        "alg-none": unsigned({"alg": "none", "typ": "JWT"}, claims_for()),
        "hs256-with-public-key": hs256_with_public_key(gateway_key),
        "lifetime-over-60s": sign(gateway_key, claims_for(iat=now, exp=now + 61)),
        "no-iat": sign(gateway_key, claims_for(iat=None)),
        "no-exp": sign(gateway_key, claims_for(exp=None)),
        "no-iss": sign(gateway_key, claims_for(iss=None)),
        "no-aud": sign(gateway_key, claims_for(aud=None)),
        "issued-in-the-future": sign(gateway_key, claims_for(iat=now + 120, exp=now + 150)),
        "not-yet-valid": sign(gateway_key, claims_for(nbf=now + 120)),
        "no-typ": sign(gateway_key, claims_for(), typ=None),
        "access-token-typ": sign(gateway_key, claims_for(), typ="at+jwt"),
        "unknown-kid": sign(gateway_key, claims_for(), kid="gateway-99"),
    }


#: forgery → the reason the node gives
FORGERIES = {
    "malformed": "not a compact JWS",
    "three-garbage-parts": "not a compact JWS",
    "expired": "expired",
    "wrong-audience": "claim aud",
    "wrong-issuer": "claim iss",
    "other-key": "signature does not verify",
    "alg-none": "algorithm is not accepted",
    "hs256-with-public-key": "algorithm is not accepted",
    "lifetime-over-60s": "lifetime",
    "no-iat": "lacks the claim iat",
    "no-exp": "lacks the claim exp",
    "no-iss": "lacks the claim iss",
    "no-aud": "lacks the claim aud",
    "issued-in-the-future": "claim iat",
    "not-yet-valid": "claim nbf",
    "no-typ": "not typed JWT",
    "access-token-typ": "not typed JWT",
    "unknown-kid": "key is not one of the gateway's",
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_token_that_is_not_a_valid_gateway_token_is_rejected(
    http: httpx.Client, gateway_key: ECKey, other_key: ECKey, forgery: str
) -> None:
    token = forged_tokens(gateway_key, other_key)[forgery]
    for response in (post_query(http, token), http.get("/health", headers=bearer(token))):
        problem = assert_problem(response, 401)
        assert problem["type"] == "/problems/invalid-token"
        assert FORGERIES[forgery] in problem["detail"]
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith(f'Bearer realm="{NODE_ID}"')
        assert 'error="invalid_token"' in challenge


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"])
def test_a_request_without_a_bearer_token_is_rejected(
    http: httpx.Client, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = post_query(http, None, **headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    if header is None:
        # RFC 6750 §3.1: no error code when the request carried no credentials at all.
        assert "error=" not in response.headers["www-authenticate"]


def test_an_unauthenticated_request_learns_nothing_about_the_body(http: httpx.Client) -> None:
    response = post_query(http, None, b"{not json")
    assert_problem(response, 401)


# --- bad requests are 400, never 500 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b'{"dataset": "market-entity-registration", "limit": NaN}', None),
        ({"dataset": "unknown-dataset"}, "$.dataset"),
        ({}, "$.dataset"),
        ({"dataset": 5}, "$.dataset"),
        ({"dataset": DATASET, "limit": 0}, "$.limit"),
        ({"dataset": DATASET, "limit": 1001}, "$.limit"),
        ({"dataset": DATASET, "limit": "10"}, "$.limit"),
        ({"dataset": DATASET, "limit": True}, "$.limit"),
        ({"dataset": DATASET, "filter": []}, "$.filter"),
        ({"dataset": DATASET, "filter": {"name": {"like": "x"}}}, "$.filter"),
        ({"dataset": DATASET, "filter": {"name": {"in": "x"}}}, "$.filter.name.in"),
        ({"dataset": DATASET, "filter": {"name": {"eq": {"deep": 1}}}}, "$.filter.name.eq"),
        ({"dataset": DATASET, "fields": "name"}, "$.fields"),
        ({"dataset": DATASET, "fields": [1]}, "$.fields"),
        ({"dataset": DATASET, "cursor": 5}, "$.cursor"),
        ({"dataset": DATASET, "filter": {"employees": {"gte": 2**64}}}, "$.filter.employees.gte"),
        (b'{"dataset": "market-entity-registration", "limit": ' + b"9" * 5000 + b"}", None),
        ({"dataset": DATASET, "regions": ["110108"]}, "$.regions"),
    ],
)
def test_a_malformed_query_is_a_400_problem(
    http: httpx.Client, gateway_token: Callable[..., str], body: Any, path: str | None
) -> None:
    problem = assert_problem(post_query(http, gateway_token(), body), 400)
    assert problem["type"] == "/problems/invalid-request"
    if path is not None:
        assert path in [error["path"] for error in problem["errors"]]


def test_a_filter_on_a_field_the_node_lacks_is_a_400_problem(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    body = {"dataset": DATASET, "filter": {"noSuchField": "x"}}
    problem = assert_problem(post_query(http, gateway_token(), body), 400)
    assert "noSuchField" in problem["detail"]


def test_a_body_over_one_mebibyte_is_a_413_problem(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    padding = "x" * MAX_BODY_BYTES
    body = json.dumps({"dataset": DATASET, "filter": {"name": padding}}).encode()
    problem = assert_problem(post_query(http, gateway_token(), body), 413)
    assert problem["type"] == "/problems/payload-too-large"


def test_unknown_paths_and_methods_are_problems(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    assert_problem(http.get("/nothing-here", headers=bearer(gateway_token())), 404)
    response = http.get("/query", headers=bearer(gateway_token()))
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]


def test_the_exchange_id_is_echoed_in_problems(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    response = post_query(http, gateway_token(), {"dataset": "x"}, **{"X-Exchange-Id": "ex-1"})
    assert assert_problem(response, 400)["exchangeId"] == "ex-1"


# --- failures of the data source never leak internals -------------------------------------------


def test_an_unavailable_data_source_is_a_503_problem_without_internals(
    start_node: Callable[[Adapter], str], gateway_token: Callable[..., str], tmp_path: Path
) -> None:
    adapter = SqlAdapter(
        sql_node("sqlite:///{data}/secret-location.sqlite", "entities"), data_dir=tmp_path
    )
    url = start_node(adapter)
    with httpx.Client(base_url=url) as http:
        response = post_query(http, gateway_token())
        health = http.get("/health", headers=bearer(gateway_token()))
    adapter.close()
    problem = assert_problem(response, 503)
    assert problem["type"] == "/problems/node-unavailable"
    assert "secret-location" not in response.text and "sqlite" not in response.text.lower()
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "datasets": [DATASET]}


class BrokenAdapter:
    """An adapter whose data source fails in a way nobody planned for."""

    node_id = NODE_ID

    def query(self, request: QueryRequest) -> Page:
        raise RuntimeError("SELECT * FROM secret_table WHERE path='/srv/secret'")

    def health(self) -> Health:
        raise RuntimeError("/srv/secret")

    def close(self) -> None:
        pass


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    start_node: Callable[[Adapter], str], gateway_token: Callable[..., str]
) -> None:
    url = start_node(BrokenAdapter())
    with httpx.Client(base_url=url) as http:
        responses = [
            post_query(http, gateway_token()),
            http.get("/health", headers=bearer(gateway_token())),
        ]
    for response in responses:
        problem = assert_problem(response, 500)
        assert "secret" not in response.text
        assert "Traceback" not in response.text
        assert problem["type"] == "/problems/internal-error"


# --- health and traces ----------------------------------------------------------------------


def test_health_lists_the_datasets_to_the_gateway(
    http: httpx.Client, gateway_token: Callable[..., str]
) -> None:
    response = http.get("/health", headers=bearer(gateway_token()))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "datasets": [DATASET]}


def test_the_server_span_joins_the_callers_trace_without_personal_data(
    http: httpx.Client,
    gateway_token: Callable[..., str],
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    body = {"dataset": DATASET, "filter": {"name": {"prefix": "北京海淀"}}}
    traceparent = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"
    response = post_query(
        http, gateway_token(), body, traceparent=traceparent, **{"X-Exchange-Id": "ex-42"}
    )
    assert response.status_code == 200
    served = [s for s in spans[1].get_finished_spans() if s.name == "adapter.serve"]
    assert len(served) == 1
    span = served[0]
    assert span.kind == SpanKind.SERVER
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_SPAN_ID
    assert span.attributes == {
        "http.request.method": "POST",
        "http.route": "/query",
        "jjj.node.id": NODE_ID,
        "jjj.exchange.id": "ex-42",
        "jjj.dataset.id": DATASET,
        "jjj.records.count": 2,
        "http.response.status_code": 200,
    }
    recorded = json.dumps(dict(span.attributes or {}), ensure_ascii=False)
    assert "北京" not in recorded and not span.events


# --- JWKS handling ----------------------------------------------------------------------------


def test_jwks_from_a_file_verifies_tokens(tmp_path: Path, gateway_key: ECKey) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(public_jwks(gateway_key)), encoding="utf-8")
    verifier = TokenVerifier(ISSUER, jwks_file=jwks)
    claims = verifier.verify(sign(gateway_key, claims_for()), audience=NODE_ID)
    assert claims["aud"] == NODE_ID


def test_a_rotated_key_is_fetched_at_most_once_per_thirty_seconds(
    serve_wsgi: Callable[..., str], gateway_key: ECKey
) -> None:
    from adapters import InvalidToken

    new_key = ECKey.generate_key("P-256", {"kid": "gateway-2", "alg": "ES256", "use": "sig"})
    published = [gateway_key]
    fetches: list[int] = []
    url = serve_wsgi(json_app(lambda: public_jwks(*published), counter=fetches))
    now = [1000.0]
    verifier = TokenVerifier(ISSUER, jwks_url=url, monotonic=lambda: now[0])
    verifier.verify(sign(gateway_key, claims_for()), audience=NODE_ID)
    assert len(fetches) == 1
    published.append(new_key)  # the gateway rotates: the new key signs from now on
    now[0] += 10
    with pytest.raises(InvalidToken):
        verifier.verify(sign(new_key, claims_for()), audience=NODE_ID)
    assert len(fetches) == 1  # too soon to fetch again
    now[0] += 20
    verifier.verify(sign(new_key, claims_for()), audience=NODE_ID)
    verifier.verify(sign(gateway_key, claims_for()), audience=NODE_ID)
    assert len(fetches) == 2


def test_a_gateway_jwks_that_drips_is_given_up_on_by_the_fetch_timeout(gateway_key: ECKey) -> None:
    from adapters import KeysUnavailable

    with drip_server(json.dumps(public_jwks(gateway_key)).encode()) as jwks:
        verifier = TokenVerifier(ISSUER, jwks_url=jwks.url, fetch_timeout=0.3)
        with pytest.raises(KeysUnavailable):
            verifier.verify(sign(gateway_key, claims_for()), audience=NODE_ID)
        assert not jwks.finished.is_set()  # each byte came in time; the whole fetch did not


def test_unreachable_keys_make_the_node_unavailable_not_unauthorised(
    serve_wsgi: Callable[..., str], tmp_path: Path, gateway_token: Callable[..., str]
) -> None:
    adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    verifier = TokenVerifier(ISSUER, jwks_url="http://127.0.0.1:1/jwks", fetch_timeout=2)
    url = serve_wsgi(create_adapter_app(snapshot_node(), adapter, verifier=verifier))
    with httpx.Client(base_url=url) as http:
        problem = assert_problem(post_query(http, gateway_token()), 503)
    assert problem["type"] == "/problems/keys-unavailable"


def test_private_and_non_signing_keys_in_a_jwks_are_ignored(
    tmp_path: Path, gateway_key: ECKey
) -> None:
    from adapters import InvalidToken

    jwks = tmp_path / "jwks.json"
    private = gateway_key.as_dict(private=True)
    jwks.write_text(json.dumps({"keys": [private, {"kty": "oct", "k": "c2VjcmV0"}]}), "utf-8")
    verifier = TokenVerifier(ISSUER, jwks_file=jwks)
    with pytest.raises(InvalidToken):
        verifier.verify(sign(gateway_key, claims_for()), audience=NODE_ID)


def test_the_verifier_needs_exactly_one_key_source(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        TokenVerifier(ISSUER)
    with pytest.raises(ValueError, match="exactly one"):
        TokenVerifier(ISSUER, jwks_url="http://x", jwks_file=tmp_path / "j.json")


# --- the server of a configured node ------------------------------------------------------------


def write_nodes(directory: Path) -> Path:
    directory.mkdir()
    (directory / "haidian-test.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "haidian-test",
                "name": {"zh": "测试", "en": "Test"},
                "level": "district",
                "region": "110108",
                "adapter": {"kind": "file", "path": "haidian"},
                "datasets": {
                    DATASET: {
                        "regions": ["110108"],
                        "source": "e.jsonl",
                        "fields": {"creditCode": "tyshxydm", "name": "qymc"},
                    }
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    (directory / "remote-test.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "remote-test",
                "name": {"zh": "远程", "en": "Remote"},
                "level": "district",
                "region": "110105",
                "adapter": {"kind": "http", "url": "http://127.0.0.1:1"},
                "datasets": {DATASET: {"regions": ["110105"]}},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return directory


def test_a_configured_node_is_served_from_its_data_directory(
    tmp_path: Path, serve_wsgi: Callable[..., str], gateway_key: ECKey
) -> None:
    nodes = write_nodes(tmp_path / "nodes")
    data = tmp_path / "data"
    write_jsonl(data / "haidian" / "e.jsonl", RECORDS[:2])
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(public_jwks(gateway_key)), encoding="utf-8")
    app = create_server_for_node(
        "haidian-test", nodes_dir=nodes, data_dir=data, issuer=ISSUER, jwks_file=jwks
    )
    url = serve_wsgi(app)
    token = sign(gateway_key, claims_for(aud="haidian-test"))
    with httpx.Client(base_url=url) as http:
        key = RECORDS[1]["creditCode"]
        response = post_query(http, token, {"dataset": DATASET, "filter": {"creditCode": key}})
        rejected = post_query(http, sign(gateway_key, claims_for()))  # audience: another node
    assert response.status_code == 200
    assert response.json()["records"][0]["name"] == RECORDS[1]["name"]
    assert rejected.status_code == 401


def test_only_a_node_holding_its_data_can_be_served(tmp_path: Path) -> None:
    nodes = write_nodes(tmp_path / "nodes")
    jwks = tmp_path / "jwks.json"
    with pytest.raises(ValueError, match="no node 'absent'"):
        create_server_for_node(
            "absent", nodes_dir=nodes, data_dir=tmp_path, issuer=ISSUER, jwks_file=jwks
        )
    with pytest.raises(ValueError, match="reached over HTTP"):
        create_server_for_node(
            "remote-test", nodes_dir=nodes, data_dir=tmp_path, issuer=ISSUER, jwks_file=jwks
        )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_runs_until_interrupted_and_then_closes(
    tmp_path: Path, gateway_key: ECKey, stop: signal.Signals
) -> None:
    nodes = write_nodes(tmp_path / "nodes")
    write_jsonl(tmp_path / "data" / "haidian" / "e.jsonl", RECORDS[:1])
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(public_jwks(gateway_key)), encoding="utf-8")
    script = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from adapters import create_server_for_node, serve\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stderr)\n"
        f"app = create_server_for_node('haidian-test', nodes_dir=Path({str(nodes)!r}),\n"
        f"    data_dir=Path({str(tmp_path / 'data')!r}), issuer={ISSUER!r},\n"
        f"    jwks_file=Path({str(jwks)!r}))\n"
        "serve(app, '127.0.0.1', 0)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match:
                break
        else:
            pytest.fail("the adapter server did not start")
        token = sign(gateway_key, claims_for(aud="haidian-test"))
        response = httpx.get(f"{match.group(1)}/health", headers=bearer(token), timeout=10)
        assert response.json() == {"status": "ok", "datasets": [DATASET]}
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
