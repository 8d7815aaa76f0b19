"""The HTTP adapter against a real adapter server, a faulty server, and a closed port."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters import (
    Adapter,
    AdapterError,
    AdapterRequestError,
    AdapterTimeout,
    AdapterUnavailable,
    FileAdapter,
    HttpAdapter,
    NodeConfig,
    QueryRequest,
    build_adapter,
)
from tests.adapters.conftest import (
    DATASET,
    NODE_ID,
    claims_for,
    file_node,
    node_config,
    sign,
)
from tests.drip import DripServer, drip_server

WSGIApp = Callable[..., Any]


def http_node(url: str, **settings: Any) -> NodeConfig:
    return node_config({"kind": "http", "url": url, **settings})


@pytest.fixture
def token_provider(gateway_key: ECKey) -> Callable[[str], str]:
    """Signs a fresh gateway token for the node it is asked about."""
    return lambda node_id: sign(gateway_key, claims_for(aud=node_id))


@pytest.fixture
def local(tmp_path: Path) -> Iterator[FileAdapter]:
    adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    yield adapter
    adapter.close()


@pytest.fixture
def remote(
    start_node: Callable[[Adapter], str],
    local: FileAdapter,
    token_provider: Callable[[str], str],
) -> Iterator[HttpAdapter]:
    """An HTTP adapter for the test node, served by a real adapter server over ``local``."""
    adapter = HttpAdapter(http_node(start_node(local)), token_provider=token_provider)
    yield adapter
    adapter.close()


# --- against the real adapter server ------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {},
        {"regionCode": {"in": ["110108", "120116"]}},
        {"name": {"prefix": "100%"}},
        {"establishedDate": {"gte": "2015-01-01"}, "listed": {"eq": False}},
    ],
)
def test_a_remote_node_answers_what_it_answers_in_process(
    remote: HttpAdapter, local: FileAdapter, condition: dict[str, Any]
) -> None:
    def every_page(adapter: Adapter) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = adapter.query(QueryRequest(DATASET, condition, limit=2, cursor=cursor))
            records.extend(page.records)
            cursor = page.next_cursor
            if cursor is None:
                return records

    assert every_page(remote) == every_page(local)


def test_a_rejected_request_carries_the_remote_problem_detail(remote: HttpAdapter) -> None:
    with pytest.raises(AdapterRequestError) as raised:
        remote.query(QueryRequest(DATASET, {"noSuchField": {"eq": "x"}}))
    assert raised.value.node == NODE_ID
    assert "HTTP 400" in raised.value.message
    assert "noSuchField" in raised.value.message


def test_a_token_the_node_refuses_is_a_request_error(
    start_node: Callable[[Adapter], str], local: FileAdapter, other_key: ECKey
) -> None:
    adapter = HttpAdapter(
        http_node(start_node(local)),
        token_provider=lambda node_id: sign(other_key, claims_for(aud=node_id)),
    )
    try:
        with pytest.raises(AdapterRequestError, match="HTTP 401"):
            adapter.query(QueryRequest(DATASET))
    finally:
        adapter.close()


def test_trace_context_and_exchange_id_reach_the_node(
    remote: HttpAdapter, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    caller = TracerProvider(shutdown_on_exit=False)
    try:
        with caller.get_tracer("test").start_as_current_span("adapter.query") as parent:
            remote.query(
                QueryRequest(DATASET, {"regionCode": {"eq": "110108"}}, exchange_id="01J0EXCHANGE")
            )
    finally:
        caller.shutdown()
    (served,) = [s for s in spans[1].get_finished_spans() if s.name == "adapter.serve"]
    assert served.context.trace_id == parent.get_span_context().trace_id
    assert served.parent is not None
    assert served.parent.span_id == parent.get_span_context().span_id
    assert served.attributes is not None
    assert served.attributes["jjj.exchange.id"] == "01J0EXCHANGE"
    assert served.attributes["jjj.records.count"] == 2


def test_health_of_a_remote_node_lists_its_datasets(remote: HttpAdapter) -> None:
    health = remote.health()
    assert (health.status, health.datasets) == ("ok", (DATASET,))


def test_a_closed_adapter_reconnects_on_next_use(remote: HttpAdapter) -> None:
    remote.query(QueryRequest(DATASET, limit=1))
    remote.close()
    assert len(remote.query(QueryRequest(DATASET, limit=1)).records) == 1


# --- a closed port ----------------------------------------------------------------------------


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_refused_connection_is_unavailable(token_provider: Callable[[str], str]) -> None:
    adapter = HttpAdapter(http_node(closed_port_url()), token_provider=token_provider)
    try:
        with pytest.raises(AdapterUnavailable) as raised:
            adapter.query(QueryRequest(DATASET))
        assert raised.value.status == "unavailable"
        health = adapter.health()
        assert health.status == "unavailable"
        assert health.detail == "connection failed"
    finally:
        adapter.close()


@pytest.mark.parametrize("failure", [RuntimeError, ValueError, KeyError])
def test_health_never_raises_even_when_no_token_can_be_made(failure: type[Exception]) -> None:
    def broken_provider(node_id: str) -> str:
        raise failure("no signing key")

    adapter = HttpAdapter(http_node(closed_port_url()), token_provider=broken_provider)
    try:
        health = adapter.health()
    finally:
        adapter.close()
    assert health.status == "unavailable"
    assert health.detail == f"health check failed: {failure.__name__}"


# --- a faulty server ------------------------------------------------------------------------


def respond(
    start_response: Callable[..., Any],
    status: str,
    body: bytes,
    content_type: str = "application/json",
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


PAGE = {"records": [{"name": "北京某某科技有限公司"}], "nextCursor": None}
#: Compressed answers: (body, Content-Encoding) per fault.
ENCODED = {
    "gzip": (gzip.compress(json.dumps(PAGE).encode()), "gzip"),
    "deflate": (zlib.compress(json.dumps(PAGE).encode()), "deflate"),
    # 8 MB of JSON whitespace compress to about 8 KB: far over the cap once inflated.
    "gzip-bomb": (gzip.compress(b'{"records": [' + b" " * 8_000_000 + b"]}"), "gzip"),
    "bad-gzip": (b"\x1f\x8b\x08\x00 this is not deflate data", "gzip"),
    "brotli": (b"\x0b\x02\x80{}\x03", "br"),
}


def fault_app(release: threading.Event) -> WSGIApp:
    """One misbehaviour per first path segment: ``/<fault>/query``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"].read(length)
        fault = environ["PATH_INFO"].strip("/").split("/")[0]
        ok = b'{"records": [], "nextCursor": null}'
        if fault == "slow":
            release.wait(10)  # longer than the adapter's read timeout
            return respond(start_response, "200 OK", ok)
        if fault == "drip":
            start_response("200 OK", [("Content-Type", "application/json")])

            def drip() -> Iterator[bytes]:
                yield b'{"records": ['
                for _ in range(50):
                    if release.wait(0.05):
                        break
                    yield b" "
                yield b'], "nextCursor": null}'

            return drip()
        if fault == "big-declared":
            body = json.dumps({"records": [{"x": "y" * 200_000}]}).encode()
            return respond(start_response, "200 OK", body)
        if fault in ENCODED:
            body, encoding = ENCODED[fault]
            start_response(
                "200 OK",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", encoding),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if fault == "big-chunked":
            start_response("200 OK", [("Content-Type", "application/json")])
            return (b'{"records": [' if i == 0 else b" " * 65536 for i in range(20))
        documents = {
            "not-json": ("200 OK", b"{not json", "application/json"),
            "html": ("200 OK", b"<html>hello</html>", "text/html"),
            "not-object": ("200 OK", b"[]", "application/json"),
            "records-not-list": ("200 OK", b'{"records": {}}', "application/json"),
            "record-not-object": ("200 OK", b'{"records": [1]}', "application/json"),
            "cursor-number": ("200 OK", b'{"records": [], "nextCursor": 5}', "application/json"),
            "no-records": ("200 OK", b'{"nextCursor": null}', "application/json"),
            "bad-request": (
                "400 Bad Request",
                b'{"title": "Invalid request", "detail": "limit too large"}',
                "application/problem+json",
            ),
            "not-found": ("404 Not Found", b"<html>no</html>", "text/html"),
            "server-error": ("500 Internal Server Error", b"oops", "text/plain"),
            "unavailable": ("503 Service Unavailable", b"{}", "application/problem+json"),
            "bad-gateway": ("502 Bad Gateway", b"{}", "application/problem+json"),
            "gateway-timeout": ("504 Gateway Timeout", b"{}", "application/problem+json"),
            "redirect": ("302 Found", b"", "text/plain"),
            "health-down": (
                "503 Service Unavailable",
                b'{"status": "unavailable", "datasets": ["x"]}',
                "application/json",
            ),
        }
        status, body, content_type = documents.get(fault, ("404 Not Found", b"", "text/plain"))
        return respond(start_response, status, body, content_type)

    return app


@pytest.fixture
def faulty(serve_wsgi: Callable[[WSGIApp], str]) -> Iterator[Callable[..., HttpAdapter]]:
    """``faulty(fault, **settings)``: an HTTP adapter for a node that misbehaves that way."""
    release = threading.Event()
    base = serve_wsgi(fault_app(release))
    made: list[HttpAdapter] = []

    def make(fault: str, **settings: Any) -> HttpAdapter:
        adapter = HttpAdapter(
            http_node(f"{base}/{fault}", **settings), token_provider=lambda node_id: "token"
        )
        made.append(adapter)
        return adapter

    yield make
    release.set()
    for adapter in made:
        adapter.close()


def test_an_answer_slower_than_the_read_timeout_is_a_timeout(
    faulty: Callable[..., HttpAdapter],
) -> None:
    adapter = faulty("slow", timeouts={"connect": 2, "read": 0.2})
    with pytest.raises(AdapterTimeout) as raised:
        adapter.query(QueryRequest(DATASET))
    assert raised.value.status == "timeout"


def test_an_answer_that_trickles_past_the_total_timeout_is_a_timeout(
    faulty: Callable[..., HttpAdapter],
) -> None:
    adapter = faulty("drip", timeouts={"read": 2, "total": 0.3})
    with pytest.raises(AdapterTimeout, match="total timeout"):
        adapter.query(QueryRequest(DATASET))


EMPTY_PAGE = b'{"records": [], "nextCursor": null}'


@pytest.fixture
def dripping_node() -> Iterator[DripServer]:
    """A node whose answer's headers come a byte every 50 ms: each read is quick, the whole
    answer takes about six seconds."""
    with drip_server(EMPTY_PAGE) as node:
        yield node


@pytest.mark.parametrize(
    "timeouts",
    [
        pytest.param({"read": 5, "total": 0.3}, id="total"),
        # Without a total timeout, the whole answer must come within connect + read.
        pytest.param({"connect": 0.2, "read": 0.3}, id="connect-and-read"),
    ],
)
def test_a_call_ends_by_its_total_timeout_while_the_node_drips_even_its_headers(
    dripping_node: DripServer, timeouts: dict[str, float]
) -> None:
    adapter = HttpAdapter(http_node(dripping_node.url, timeouts=timeouts))
    try:
        with pytest.raises(AdapterTimeout, match="total timeout"):
            adapter.query(QueryRequest(DATASET))
        assert not dripping_node.finished.is_set()  # given up on while the node still drips
    finally:
        adapter.close()


def test_a_health_check_ends_by_the_total_timeout_while_the_node_drips(
    dripping_node: DripServer,
) -> None:
    adapter = HttpAdapter(http_node(dripping_node.url, timeouts={"read": 5, "total": 0.3}))
    try:
        health = adapter.health()
        assert health.status == "unavailable" and "total timeout" in (health.detail or "")
        assert not dripping_node.finished.is_set()
    finally:
        adapter.close()


@pytest.mark.parametrize(
    "fault",
    [
        "not-json",
        "html",
        "not-object",
        "records-not-list",
        "record-not-object",
        "cursor-number",
        "no-records",
    ],
)
def test_a_malformed_answer_is_an_adapter_error(
    faulty: Callable[..., HttpAdapter], fault: str
) -> None:
    with pytest.raises(AdapterError, match="malformed response") as raised:
        faulty(fault).query(QueryRequest(DATASET))
    assert type(raised.value) is AdapterError
    assert raised.value.status == "error"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_answer_is_inflated(faulty: Callable[..., HttpAdapter], encoding: str) -> None:
    page = faulty(encoding).query(QueryRequest(DATASET))
    assert page.records == PAGE["records"]


def test_a_compressed_answer_is_abandoned_as_soon_as_it_inflates_past_the_cap(
    faulty: Callable[..., HttpAdapter],
) -> None:
    adapter = faulty("gzip-bomb", maxResponseBytes=65536)
    with pytest.raises(AdapterError, match="larger than 65536 bytes"):
        adapter.query(QueryRequest(DATASET))


@pytest.mark.parametrize(
    ("fault", "text"),
    [("bad-gzip", "bad gzip data"), ("brotli", "content encoding 'br'")],
)
def test_an_encoding_that_cannot_be_read_is_malformed(
    faulty: Callable[..., HttpAdapter], fault: str, text: str
) -> None:
    with pytest.raises(AdapterError, match=f"malformed response: {text}"):
        faulty(fault).query(QueryRequest(DATASET))


@pytest.mark.parametrize("fault", ["big-declared", "big-chunked"])
def test_an_answer_over_the_size_cap_is_abandoned(
    faulty: Callable[..., HttpAdapter], fault: str
) -> None:
    adapter = faulty(fault, maxResponseBytes=65536)
    with pytest.raises(AdapterError, match="larger than 65536 bytes") as raised:
        adapter.query(QueryRequest(DATASET))
    assert type(raised.value) is AdapterError


@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [
        ("bad-request", AdapterRequestError, "HTTP 400): limit too large"),
        ("not-found", AdapterRequestError, "HTTP 404"),
        ("server-error", AdapterError, "HTTP 500"),
        ("bad-gateway", AdapterUnavailable, "HTTP 502"),
        ("unavailable", AdapterUnavailable, "HTTP 503"),
        ("gateway-timeout", AdapterTimeout, "HTTP 504"),
        ("redirect", AdapterError, "HTTP 302"),
    ],
)
def test_http_status_maps_to_the_adapter_error(
    faulty: Callable[..., HttpAdapter], fault: str, error: type[AdapterError], text: str
) -> None:
    with pytest.raises(AdapterError) as raised:
        faulty(fault).query(QueryRequest(DATASET))
    assert type(raised.value) is error
    assert text in raised.value.message


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        ("health-down", "node reports 'unavailable' (HTTP 503)"),
        ("html", "malformed health answer (HTTP 200)"),
        ("slow", "timed out (ReadTimeout)"),
    ],
)
def test_an_unhealthy_answer_is_unavailable_health(
    faulty: Callable[..., HttpAdapter], fault: str, detail: str
) -> None:
    health = faulty(fault, timeouts={"read": 0.2}).health()
    assert health.status == "unavailable"
    assert health.detail == detail


# --- the client seam ------------------------------------------------------------------------


def test_calls_carry_token_exchange_id_and_trace_context_with_configured_limits(
    gateway_key: ECKey,
) -> None:
    seen: list[httpx.Request] = []
    made: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"records": [{"creditCode": "A"}], "nextCursor": "n1"})

    def factory(*, base_url: str, timeout: httpx.Timeout, limits: httpx.Limits) -> httpx.Client:
        made.append({"base_url": base_url, "timeout": timeout, "limits": limits})
        return httpx.Client(
            base_url=base_url,
            timeout=timeout,
            limits=limits,
            transport=httpx.MockTransport(handler),
        )

    node = http_node(
        "http://node.test/adapter/", timeouts={"connect": 1.5, "read": 4}, maxConnections=7
    )
    adapter = build_adapter(
        node,
        data_dir=Path("."),
        http_client_factory=factory,
        token_provider=lambda node_id: f"token-for-{node_id}",
    )
    assert isinstance(adapter, HttpAdapter)
    assert made == []  # the client is made on first use
    caller = TracerProvider(shutdown_on_exit=False)
    try:
        with caller.get_tracer("test").start_as_current_span("adapter.query"):
            page = adapter.query(
                QueryRequest(
                    DATASET,
                    {"name": {"prefix": "北京"}},
                    fields=("creditCode",),
                    limit=5,
                    exchange_id="ex-7",
                )
            )
            adapter.query(QueryRequest(DATASET))
    finally:
        caller.shutdown()
        adapter.close()
    assert (page.records, page.next_cursor) == ([{"creditCode": "A"}], "n1")
    assert len(made) == 1  # one client per node, reused
    assert made[0]["base_url"] == "http://node.test/adapter"
    assert made[0]["timeout"] == httpx.Timeout(connect=1.5, read=4, write=4, pool=1.5)
    assert made[0]["limits"].max_connections == 7
    request = seen[0]
    assert str(request.url) == "http://node.test/adapter/query"
    assert request.headers["authorization"] == f"Bearer token-for-{NODE_ID}"
    assert request.headers["accept-encoding"] == "gzip, deflate"  # what the cap can bound
    assert request.headers["x-exchange-id"] == "ex-7"
    assert request.headers["traceparent"].startswith("00-")
    assert json.loads(request.content) == {
        "dataset": DATASET,
        "filter": {"name": {"prefix": "北京"}},
        "fields": ["creditCode"],
        "limit": 5,
        "cursor": None,
    }
    assert "x-exchange-id" not in seen[1].headers


def test_default_timeouts_and_size_cap_apply_when_the_node_names_none() -> None:
    adapter = HttpAdapter(http_node("http://node.test"))
    assert adapter.timeout == httpx.Timeout(connect=2.0, read=10.0, write=10.0, pool=2.0)
    assert adapter.max_response_bytes == 16 * 1024 * 1024
