"""Span export over OTLP/HTTP JSON: the same request as the SDK's protobuf exporter sends, and
the transport behaviour the OTLP specification asks for (retries, compression, headers)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as encode_protobuf
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
    set_span_in_context,
)

from gateway.observability.otlp_json import (
    OTLPJsonSpanExporter,
    OTLPProtobufSpanExporter,
    encode_spans,
    traces_endpoint,
)
from gateway.observability.tracing import span_exporter
from tests.drip import drip_server
from tests.e2e.otlp import parse_json_request


def _finished_spans() -> list[ReadableSpan]:
    """Spans of two providers (two resources) with every kind of content a span can carry."""
    spans: list[ReadableSpan] = []
    for service in ("jjj-gateway", "jjj-adapter-beijing"):
        memory = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracer = provider.get_tracer("gateway", "1.2.3")
        remote = SpanContext(
            trace_id=0x0AF7651916CD43DD8448EB211C80319C,
            span_id=0xB7AD6B7169203331,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
            trace_state=TraceState([("vendor", "a1")]),
        )
        attributes: dict[str, Any] = {
            "http.request.method": "GET",
            "server.port": 8080,
            "gateway.complete": True,
            "gateway.share": 0.25,
            "gateway.nodes": ["beijing", "tianjin"],
            "gateway.sizes": [1, 2, 3],
            "gateway.empty": "",
            "gateway.negative": -(2**40),
        }
        with tracer.start_as_current_span(
            "GET /v1/datasets/<dataset_id>/records/<path:key>",
            context=set_span_in_context(NonRecordingSpan(remote)),
            kind=SpanKind.SERVER,
            attributes=attributes,
            links=[Link(remote, {"gateway.reason": "retry"})],
        ) as server:
            server.add_event("exchange.denied", {"gateway.rule_id": "grant-required"})
            with tracer.start_as_current_span("adapter.query", kind=SpanKind.CLIENT) as client:
                client.set_status(Status(StatusCode.ERROR, "ConnectTimeout"))
            with tracer.start_as_current_span("audit.append") as internal:
                internal.set_status(Status(StatusCode.OK))
        provider.shutdown()
        spans.extend(memory.get_finished_spans())
    return spans


def test_the_json_encoding_is_the_request_the_protobuf_exporter_sends() -> None:
    spans = _finished_spans()
    assert parse_json_request(encode_spans(spans)) == encode_protobuf(spans)


def test_an_empty_batch_is_an_empty_request() -> None:
    assert parse_json_request(encode_spans([])) == encode_protobuf([])


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "http://localhost:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}, "http://c:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/otlp"}, "http://c:4318/otlp/v1/traces"),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:9999/custom",
            },
            "http://t:9999/custom",
        ),
    ],
)
def test_the_endpoint_follows_the_standard_variables(
    environ: dict[str, str], expected: str
) -> None:
    assert traces_endpoint(environ) == expected


def test_the_protocol_variable_chooses_the_exporter() -> None:
    chosen = span_exporter({"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"})
    assert isinstance(chosen, OTLPJsonSpanExporter)
    chosen.shutdown()
    default = span_exporter({})
    assert type(default) is OTLPProtobufSpanExporter
    default.shutdown()


class _Collector:
    """A loopback OTLP endpoint that answers each request with the next status of a script."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                collector.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = collector.statuses.pop(0) if collector.statuses else 200
                answer = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def collector_factory() -> Iterator[Any]:
    made: list[_Collector] = []

    def make(statuses: list[int]) -> _Collector:
        made.append(_Collector(list(statuses)))
        return made[-1]

    yield make
    for collector in made:
        collector.server.shutdown()
        collector.server.server_close()


def test_a_batch_arrives_compressed_with_the_configured_headers(collector_factory: Any) -> None:
    collector = collector_factory([])
    exporter = OTLPJsonSpanExporter(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20abc,x-tenant=jjj",
        }
    )
    spans = _finished_spans()
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    [(headers, body)] = collector.received
    assert headers["content-type"] == "application/json"
    assert headers["content-encoding"] == "gzip"
    assert headers["authorization"] == "Bearer abc"
    assert headers["x-tenant"] == "jjj"
    assert parse_json_request(gzip.decompress(body)) == encode_protobuf(spans)


def test_a_busy_collector_is_asked_again_and_a_refusal_is_not(collector_factory: Any) -> None:
    busy = collector_factory([503, 429])
    exporter = OTLPJsonSpanExporter(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": busy.endpoint, "OTEL_EXPORTER_OTLP_TIMEOUT": "10"}
    )
    assert exporter.export(_finished_spans()) is SpanExportResult.SUCCESS
    assert len(busy.received) == 3
    exporter.shutdown()

    refusing = collector_factory([400])
    exporter = OTLPJsonSpanExporter({"OTEL_EXPORTER_OTLP_ENDPOINT": refusing.endpoint})
    assert exporter.export(_finished_spans()) is SpanExportResult.FAILURE
    assert len(refusing.received) == 1
    exporter.shutdown()


def test_an_unreachable_collector_fails_the_batch_within_the_timeout() -> None:
    exporter = OTLPJsonSpanExporter(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_TIMEOUT": "1"}
    )
    assert exporter.export(_finished_spans()) is SpanExportResult.FAILURE
    exporter.shutdown()
    assert exporter.export(_finished_spans()) is SpanExportResult.FAILURE  # after shutdown


@pytest.mark.parametrize("exporter_type", [OTLPJsonSpanExporter, OTLPProtobufSpanExporter])
def test_a_collector_dripping_its_answer_fails_the_batch_by_the_timeout(
    exporter_type: type[OTLPJsonSpanExporter],
) -> None:
    # Every byte comes well within the timeout; only a deadline for the whole export ends it.
    with drip_server(b"{}", path="/v1/traces") as collector:
        exporter = exporter_type(
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.url,
                "OTEL_EXPORTER_OTLP_TIMEOUT": "0.5",
            }
        )
        assert exporter.export(_finished_spans()) is SpanExportResult.FAILURE
        assert not collector.finished.is_set()
        exporter.shutdown()


def test_the_default_protobuf_export_is_the_request_the_sdk_exporter_sends(
    collector_factory: Any,
) -> None:
    collector = collector_factory([])
    exporter = span_exporter({"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint})
    spans = _finished_spans()
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    [(headers, body)] = collector.received
    assert headers["content-type"] == "application/x-protobuf"
    assert body == encode_protobuf(spans).SerializePartialToString()
