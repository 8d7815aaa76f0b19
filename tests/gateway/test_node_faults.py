"""A failing node through the exchange pipeline: source statuses, strict lookups, and the node's
circuit breaker as /readyz and /metrics show it (the node replaced by a scripted in-process one)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from adapters.http import HttpAdapter
from adapters.nodes import load_nodes
from adapters.protocol import (
    AdapterError,
    AdapterRequestError,
    AdapterTimeout,
    AdapterUnavailable,
    Health,
    Page,
    QueryRequest,
)
from catalog.uscc import check_character

from .conftest import bearer
from .test_metrics import labels, scrape

ME = "/v1/datasets/market-entity-registration"
NODE, REGION = "tianjin-binhai", "120116"
HEALTHY = ("tianjin", "120101")
BOTH = {"regions": [REGION, HEALTHY[1]], "limit": 10}
FAILURES = 3


def key_in(region: str) -> str:
    body = f"91{region}MA0000001"
    return body + check_character(body)


Outcome = Exception | list[dict[str, Any]]


class ScriptedNode:
    """A node answering each query with the next scripted outcome (the last one repeats)."""

    def __init__(self, node_id: str, outcomes: list[Outcome]) -> None:
        self.node_id = node_id
        self.outcomes = outcomes
        self.calls = 0

    def query(self, request: QueryRequest) -> Page:
        outcome = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return Page(outcome)

    def health(self) -> Health:
        return Health("ok", ("market-entity-registration",))

    def close(self) -> None:
        pass


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "node_breaker_failures": FAILURES, "node_breaker_cooldown": 60}


@pytest.fixture
def scripted(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ScriptedNode]:
    """``scripted(outcome, ...)``: the node tianjin-binhai answers with these outcomes."""
    fleet = app.extensions["jjj-gateway"].fleet
    real = fleet.adapter

    def install(*outcomes: Outcome) -> ScriptedNode:
        node = ScriptedNode(NODE, list(outcomes))
        monkeypatch.setattr(
            fleet, "adapter", lambda node_id: node if node_id == NODE else real(node_id)
        )
        return node

    return install


@pytest.fixture
def remote(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Callable[[dict[str, Any]], bytes]], None]]:
    """``remote(answer)``: tianjin-binhai becomes a real HTTP node on loopback; each query is
    answered by the node's real records, passed through ``answer`` (document → body bytes)."""
    fleet = app.extensions["jjj-gateway"].fleet
    real = fleet.adapter
    data_node = real(NODE)
    servers: list[BaseWSGIServer] = []

    def install(answer: Callable[[dict[str, Any]], bytes]) -> None:
        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            asked = json.loads(environ["wsgi.input"].read(size))
            page = data_node.query(
                QueryRequest(
                    dataset=asked["dataset"],
                    filter=asked["filter"],
                    fields=tuple(asked["fields"]),
                    limit=asked["limit"],
                    cursor=asked["cursor"],
                )
            )
            body = answer({"records": list(page.records), "nextCursor": page.next_cursor})
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]

        server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}).start()
        servers.append(server)
        config = load_nodes()[NODE]
        http = HttpAdapter(
            replace(config, adapter={"kind": "http", "url": f"http://127.0.0.1:{server.port}"}),
            token_provider=lambda node_id: "token",
        )
        monkeypatch.setattr(
            fleet, "adapter", lambda node_id: http if node_id == NODE else real(node_id)
        )

    yield install
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def token(token_for: Callable[..., str]) -> str:
    return token_for("partner")


def query(client: FlaskClient, token: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"{ME}/query", json=BOTH | body, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    assert response.headers["X-Exchange-Complete"] == "false"
    document: dict[str, Any] = response.get_json()
    assert document["meta"]["complete"] is False
    assert document["data"] and {r["regionCode"] for r in document["data"]} == {HEALTHY[1]}
    return document


def status_of(document: dict[str, Any], node: str = NODE) -> str:
    return next(str(s["status"]) for s in document["meta"]["sources"] if s["node"] == node)


@pytest.mark.parametrize(
    ("failure", "status", "strict_status", "problem"),
    [
        (AdapterTimeout(NODE, "timed out (ReadTimeout)"), "timeout", 504, "upstream-timeout"),
        (AdapterUnavailable(NODE, "connection failed"), "unavailable", 502, "upstream-failed"),
        (AdapterError(NODE, "malformed response: not JSON"), "error", 502, "upstream-failed"),
        (RuntimeError("/srv/node/secret.py line 3"), "error", 502, "upstream-failed"),
    ],
)
def test_each_failure_is_a_source_status_and_strictly_a_502_or_504(
    client: FlaskClient,
    token: str,
    scripted: Callable[..., ScriptedNode],
    failure: Exception,
    status: str,
    strict_status: int,
    problem: str,
) -> None:
    scripted(failure)
    assert status_of(query(client, token)) == status
    lookup = client.get(f"{ME}/records/{key_in(REGION)}", headers=bearer(token))
    assert lookup.status_code == strict_status
    assert lookup.get_json()["type"] == f"/problems/{problem}"
    assert "secret.py" not in lookup.get_data(as_text=True)


def test_repeated_failures_open_the_circuit_and_then_the_node_is_not_called(
    client: FlaskClient, token: str, scripted: Callable[..., ScriptedNode]
) -> None:
    node = scripted(AdapterUnavailable(NODE, "connection failed"))
    for _ in range(FAILURES):
        assert status_of(query(client, token)) == "unavailable"
    assert node.calls == FAILURES
    for _ in range(3):
        assert status_of(query(client, token)) == "unavailable"
    assert node.calls == FAILURES  # failed fast
    assert client.get(f"{ME}/records/{key_in(REGION)}", headers=bearer(token)).status_code == 502
    assert node.calls == FAILURES

    nodes = client.get("/readyz").get_json()["checks"]["nodes"]
    assert nodes[NODE]["breaker"]["state"] == "open"
    assert nodes[NODE]["breaker"]["failures"] == FAILURES
    assert nodes[NODE]["status"] == "unavailable"  # an open node is not even asked for health
    assert nodes[HEALTHY[0]]["breaker"] == {"state": "closed", "failures": 0}
    samples = scrape(client)
    assert samples[("jjj_node_breaker_state", labels(node=NODE))] == 1
    assert samples[("jjj_node_breaker_state", labels(node=HEALTHY[0]))] == 0
    assert samples[("jjj_node_breaker_transitions_total", labels(node=NODE, to="open"))] == 1


def test_a_page_of_invalid_records_counts_against_the_node(
    client: FlaskClient, token: str, scripted: Callable[..., ScriptedNode]
) -> None:
    node = scripted([{"creditCode": "not a USCC", "regionCode": REGION}])
    for _ in range(FAILURES):
        assert status_of(query(client, token)) == "invalid-data"
    assert status_of(query(client, token)) == "unavailable"
    assert node.calls == FAILURES


def test_a_success_between_failures_keeps_the_circuit_closed(
    client: FlaskClient, token: str, scripted: Callable[..., ScriptedNode]
) -> None:
    down = AdapterUnavailable(NODE, "connection failed")
    node = scripted(down, down, [], down, down, [])
    for _ in range(6):
        client.post(f"{ME}/query", json=BOTH, headers=bearer(token))
    assert node.calls == 6
    assert client.get("/readyz").get_json()["checks"]["nodes"][NODE]["breaker"]["state"] == "closed"


def test_requests_the_node_refuses_as_the_callers_mistake_never_open_the_circuit(
    client: FlaskClient, token: str, scripted: Callable[..., ScriptedNode]
) -> None:
    node = scripted(AdapterRequestError(NODE, "rejected the request (HTTP 400)"))
    for _ in range(FAILURES * 2):
        assert status_of(query(client, token)) == "error"
    assert node.calls == FAILURES * 2
    breaker = client.get("/readyz").get_json()["checks"]["nodes"][NODE]["breaker"]
    assert breaker == {"state": "closed", "failures": 0}


def test_a_node_cursor_longer_than_the_protocol_allows_is_a_node_error_on_the_first_page(
    client: FlaskClient, token: str, remote: Callable[[Callable[[dict[str, Any]], bytes]], None]
) -> None:
    remote(lambda page: json.dumps(page | {"nextCursor": "c" * 267_000}).encode())
    document = query(client, token)
    assert status_of(document) == "invalid-data"
    assert status_of(document, HEALTHY[0]) == "ok"
    # The healthy node's position and the failed node's start travel on: nothing is lost.
    again = client.post(
        f"{ME}/query",
        json=BOTH | {"cursor": document["meta"]["nextCursor"]},
        headers=bearer(token),
    )
    assert again.status_code == 200
    assert status_of(again.get_json()) == "invalid-data"


def _value(name: str, value: str) -> Callable[[dict[str, Any]], bytes]:
    """The page with a field of its first record written as this JSON text."""

    def answer(page: dict[str, Any]) -> bytes:
        page["records"][0][name] = "<value>"
        return json.dumps(page, ensure_ascii=False).replace('"<value>"', value).encode()

    return answer


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("registeredCapital", "NaN", "invalid-data"),
        ("registeredCapital", "Infinity", "invalid-data"),
        ("registeredCapital", "1e400", "invalid-data"),
        ("registeredCapital", "18446744073709551616", "invalid-data"),
        ("registeredCapital", "10436311139542952942055648145702912", "invalid-data"),
        ("registeredCapital", "9" * 5000, "error"),  # not even JSON a parser will read
        ("name", '"\\ud800有限公司"', "invalid-data"),  # a lone surrogate is no Unicode character
    ],
)
def test_a_node_answering_a_value_the_gateway_cannot_carry_is_a_node_error(
    client: FlaskClient,
    token: str,
    remote: Callable[[Callable[[dict[str, Any]], bytes]], None],
    field: str,
    value: str,
    status: str,
) -> None:
    remote(_value(field, value))
    document = query(client, token)
    assert status_of(document) == status
