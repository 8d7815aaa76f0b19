"""The adapter server's fault injection, seen through the HTTP adapter: each fault becomes the
adapter error the gateway maps to a source status; unauthenticated callers never see a fault."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters import (
    AdapterError,
    AdapterTimeout,
    AdapterUnavailable,
    FileAdapter,
    HttpAdapter,
    NodeConfig,
    Page,
    QueryRequest,
    TokenVerifier,
    create_adapter_app,
)
from adapters.faults import UNDEFINED_MEMBER, Fault, FaultInjector
from adapters.server import FAULTS_EXTENSION
from tests.adapters.conftest import (
    DATASET,
    ISSUER,
    file_node,
    node_config,
    snapshot_node,
)


@dataclass
class FaultyNode:
    """The test node behind a real adapter server with a fault, and what it holds honestly."""

    adapter: HttpAdapter
    injector: FaultInjector
    honest: FileAdapter

    @property
    def url(self) -> str:
        return self.adapter.url

    def query(self, request: QueryRequest) -> Page:
        return self.adapter.query(request)


Start = Callable[..., FaultyNode]


@pytest.fixture
def faulty_node(
    serve_wsgi: Callable[..., str],
    jwks_url: str,
    tmp_path: Path,
    token_provider: Callable[[str], str],
) -> Iterator[Start]:
    """``faulty_node("kind:param", **adapter_settings)``: the test node served by a real adapter
    server with that fault, reached through an HTTP adapter with those settings."""
    local = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    made: list[HttpAdapter] = []

    def start(fault: str, **settings: Any) -> FaultyNode:
        app = create_adapter_app(
            snapshot_node(),
            local,
            verifier=TokenVerifier(ISSUER, jwks_url=jwks_url),
            fault=Fault.parse(fault),
        )
        url = serve_wsgi(app)
        adapter = HttpAdapter(http_node(url, **settings), token_provider=token_provider)
        made.append(adapter)
        return FaultyNode(adapter, app.extensions[FAULTS_EXTENSION], local)

    yield start
    for adapter in made:
        adapter.close()
    local.close()


def http_node(url: str, **settings: Any) -> NodeConfig:
    return node_config({"kind": "http", "url": url, **settings})


@pytest.fixture
def token_provider(gateway_token: Callable[..., str]) -> Callable[[str], str]:
    return lambda node_id: gateway_token(aud=node_id)


ASK = QueryRequest(DATASET, limit=3)


def test_slow_answers_past_the_read_timeout_time_out(faulty_node: Start) -> None:
    with pytest.raises(AdapterTimeout):
        faulty_node("slow:1", timeouts={"read": 0.2}).query(ASK)


def test_the_total_timeout_cuts_a_wait_the_read_timeout_would_allow(faulty_node: Start) -> None:
    # Without the total deadline capping every wait, this read would succeed after a second.
    with pytest.raises(AdapterTimeout):
        faulty_node("slow:1", timeouts={"read": 5, "total": 0.2}).query(ASK)


@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [
        ("status:500", AdapterError, "HTTP 500"),
        ("status:503", AdapterUnavailable, "HTTP 503"),
        ("status:504", AdapterTimeout, "HTTP 504"),
    ],
)
def test_an_injected_status_is_the_matching_adapter_error(
    faulty_node: Start, fault: str, error: type[AdapterError], text: str
) -> None:
    with pytest.raises(AdapterError) as raised:
        faulty_node(fault).query(ASK)
    assert type(raised.value) is error and text in raised.value.message


def test_a_connection_closed_without_an_answer_is_unavailable(faulty_node: Start) -> None:
    with pytest.raises(AdapterUnavailable, match="connection lost"):
        faulty_node("reset").query(ASK)


@pytest.mark.parametrize("fault", ["malformed-json", "wrong-content-type"])
def test_an_answer_that_is_not_json_is_a_malformed_response(faulty_node: Start, fault: str) -> None:
    with pytest.raises(AdapterError, match="malformed response") as raised:
        faulty_node(fault).query(ASK)
    assert type(raised.value) is AdapterError


def test_an_oversized_answer_is_abandoned_at_the_cap(faulty_node: Start) -> None:
    with pytest.raises(AdapterError, match="larger than 65536 bytes"):
        faulty_node("oversized:300000", maxResponseBytes=65536).query(ASK)


def test_invalid_records_are_the_real_ones_with_broken_identifiers(faulty_node: Start) -> None:
    node = faulty_node("invalid-records")
    page, honest = node.query(ASK), node.honest.query(ASK)
    assert len(page.records) == len(honest.records) == 3
    for broken, record in zip(page.records, honest.records, strict=True):
        assert broken["creditCode"] != record["creditCode"]
        assert broken["creditCode"][:17] == record["creditCode"][:17]
        assert {**broken, "creditCode": None} == {**record, "creditCode": None}


def test_records_without_identifiers_get_a_member_no_schema_defines(faulty_node: Start) -> None:
    page = faulty_node("invalid-records").query(QueryRequest(DATASET, fields=("name",), limit=2))
    assert page.records and all(r[UNDEFINED_MEMBER] is True for r in page.records)


def test_a_flaky_node_fails_its_first_queries_then_answers(faulty_node: Start) -> None:
    node = faulty_node("flaky:2")
    for _ in range(2):
        with pytest.raises(AdapterUnavailable, match="HTTP 503"):
            node.query(ASK)
    assert node.query(ASK) == node.honest.query(ASK)
    assert node.injector.queries == 3


@pytest.mark.parametrize("fault", ["reset", "status:500", "slow:5", "invalid-records"])
def test_unauthenticated_callers_get_401_not_the_fault(faulty_node: Start, fault: str) -> None:
    node = faulty_node(fault)
    response = httpx.post(f"{node.url}/query", json={"dataset": DATASET}, timeout=2)
    assert response.status_code == 401
    assert node.injector.queries == 0


def test_health_answers_honestly_under_a_fault(faulty_node: Start) -> None:
    assert faulty_node("reset").adapter.health().status == "ok"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("slow:2.5", Fault("slow", 2.5)),
        ("status:502", Fault("status", 502)),
        ("reset", Fault("reset")),
        ("oversized:1048576", Fault("oversized", 1048576)),
        ("flaky:1", Fault("flaky", 1)),
        ("invalid-records", Fault("invalid-records")),
    ],
)
def test_faults_parse_from_the_command_line_form(text: str, fault: Fault) -> None:
    assert Fault.parse(text) == fault
    assert str(fault) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("explode", "unknown fault 'explode'"),
        ("status:404", "5xx"),
        ("status", "needs a number"),
        ("reset:3", "takes no parameter"),
        ("oversized:-1", "whole number"),
        ("flaky:1.5", "whole number"),
        ("slow:abc", "needs a number"),
    ],
)
def test_a_mistyped_fault_is_refused_with_the_accepted_forms(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault.parse(text)
