"""Traces of exchanges in one process (docs/architecture.md#tracing-and-metrics): a server span
after the HTTP semantic conventions, the pipeline's child spans, and no personal data in any of
them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.audit.trail import AuditUnavailable
from gateway.demo import GenerationReport
from gateway.observability.tracing import exporting, init_tracing

from .conftest import bearer

ME = "/v1/datasets/market-entity-registration"
KEY_ROUTE = "/v1/datasets/<dataset_id>/records/<path:key>"
PIPELINE = ("policy.decide", "adapter.query", "records.validate", "audit.append")


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """What the process's tracer provider finished, while this module runs."""
    init_tracing()
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # the processor stays attached: it keeps nothing from here on


@pytest.fixture
def spans(exporter: InMemorySpanExporter, app: Flask) -> InMemorySpanExporter:
    exporter.clear()
    return exporter


def by_name(finished: Sequence[ReadableSpan], trace_id: str) -> dict[str, list[ReadableSpan]]:
    named: dict[str, list[ReadableSpan]] = {}
    for span in finished:
        if span.context is not None and format(span.context.trace_id, "032x") == trace_id:
            named.setdefault(span.name, []).append(span)
    return named


def recorded_text(finished: Sequence[ReadableSpan]) -> str:
    """Every attribute, event and status message of the spans, as one text to search."""
    parts: list[Any] = []
    for span in finished:
        parts.append(dict(span.attributes or {}))
        parts.extend((event.name, dict(event.attributes or {})) for event in span.events)
        parts.append(span.status.description)
        parts.append(dict(span.resource.attributes))
    return json.dumps(parts, ensure_ascii=False, default=str)


def test_an_exchange_is_one_trace_of_a_server_span_and_the_pipeline_steps(
    client: FlaskClient,
    token_for: Callable[..., str],
    demo_data: GenerationReport,
    spans: InMemorySpanExporter,
) -> None:
    key = demo_data.samples["haidian_entity"]
    response = client.get(f"{ME}/records/{key}", headers=bearer(token_for("partner")))
    assert response.status_code == 200
    trace_id = response.get_json()["meta"]["traceId"]
    named = by_name(spans.get_finished_spans(), trace_id)

    (server,) = named[f"GET {KEY_ROUTE}"]
    assert server.kind == SpanKind.SERVER and server.parent is None
    for name in PIPELINE:
        (step,) = named[name]
        assert step.parent is not None and step.parent.span_id == server.context.span_id, name
    (query,) = named["adapter.query"]
    assert query.kind == SpanKind.CLIENT
    assert query.attributes is not None
    assert query.attributes["gateway.node"] == "beijing-haidian"
    assert tuple(query.attributes["gateway.regions"]) == ("110108",)  # type: ignore[arg-type]


def test_the_server_span_follows_the_http_conventions_and_names_the_exchange(
    client: FlaskClient,
    token_for: Callable[..., str],
    demo_data: GenerationReport,
    spans: InMemorySpanExporter,
) -> None:
    key = demo_data.samples["haidian_entity"]
    response = client.get(f"{ME}/records/{key}", headers=bearer(token_for("partner")))
    (server,) = by_name(spans.get_finished_spans(), response.get_json()["meta"]["traceId"])[
        f"GET {KEY_ROUTE}"
    ]
    attributes = dict(server.attributes or {})
    assert attributes.pop("gateway.client_id")
    assert str(attributes.pop("user_agent.original")).startswith("Werkzeug/")
    assert attributes == {
        "http.request.method": "GET",
        "http.route": KEY_ROUTE,
        # The key can be a resident ID: its segment is redacted.
        "url.path": f"{ME}/records/REDACTED",
        "url.scheme": "http",
        "server.address": "localhost",
        "server.port": 80,
        "network.protocol.version": "1.1",
        "http.response.status_code": 200,
        "gateway.exchange_id": response.headers["X-Exchange-Id"],
        "gateway.dataset": "market-entity-registration",
        "gateway.decision": "allow",
        "gateway.rule_id": response.get_json()["meta"]["decision"]["ruleId"],
    }
    assert server.status.status_code == StatusCode.UNSET


def test_no_span_holds_a_key_a_filter_value_or_a_record_field(
    client: FlaskClient,
    token_for: Callable[..., str],
    demo_data: GenerationReport,
    spans: InMemorySpanExporter,
) -> None:
    token = token_for("government")
    key = demo_data.samples["haidian_entity"]
    found = client.get(f"{ME}/records/{key}", headers=bearer(token)).get_json()["data"]
    name = found["name"]
    listed = client.get(f"{ME}/records", query_string={"name": name}, headers=bearer(token))
    assert listed.status_code == 200 and listed.get_json()["data"]
    text = recorded_text(spans.get_finished_spans())
    values = [v for k, v in found.items() if isinstance(v, str) and k != "regionCode"]
    assert key in values and name in values
    assert [v for v in values if v in text] == []


def test_a_callers_traceparent_is_continued(
    client: FlaskClient, token_for: Callable[..., str], spans: InMemorySpanExporter
) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    headers = bearer(token_for("partner")) | {"traceparent": f"00-{trace_id}-{parent_id}-01"}
    response = client.get(f"{ME}/records", query_string={"limit": 1}, headers=headers)
    assert response.get_json()["meta"]["traceId"] == trace_id
    (server,) = by_name(spans.get_finished_spans(), trace_id)[
        "GET /v1/datasets/<dataset_id>/records"
    ]
    assert server.parent is not None and format(server.parent.span_id, "016x") == parent_id


def test_a_denied_exchange_is_traced_with_its_rule_and_asks_no_node(
    client: FlaskClient,
    token_for: Callable[..., str],
    demo_data: GenerationReport,
    spans: InMemorySpanExporter,
) -> None:
    key = demo_data.samples["hebei_insured_person"]
    response = client.get(
        f"/v1/datasets/social-insurance-payment/records/{key}",
        headers=bearer(token_for("partner"), "talent-mobility"),
    )
    assert response.status_code == 403
    named = by_name(spans.get_finished_spans(), response.get_json()["traceId"])
    (server,) = named[f"GET {KEY_ROUTE}"]
    assert server.attributes is not None
    assert server.attributes["gateway.decision"] == "deny"
    assert server.attributes["gateway.rule_id"] == response.get_json()["ruleId"]
    assert "adapter.query" not in named and "audit.append" in named
    assert key not in recorded_text(spans.get_finished_spans())


def test_an_exchange_that_fails_closed_marks_the_server_span_as_an_error(
    app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    spans: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = token_for("partner")

    def unavailable(record: Any) -> None:
        raise AuditUnavailable("the database is gone")

    monkeypatch.setattr(app.extensions["jjj-gateway"].exchanges.audit, "record", unavailable)
    response = client.get(f"{ME}/records", headers=bearer(token))
    assert response.status_code == 503
    (server,) = by_name(spans.get_finished_spans(), response.get_json()["traceId"])[
        "GET /v1/datasets/<dataset_id>/records"
    ]
    assert server.status.status_code == StatusCode.ERROR


def test_a_path_no_route_matches_is_not_recorded(
    client: FlaskClient, spans: InMemorySpanExporter
) -> None:
    assert client.get("/v1/no/11010519491231002X").status_code == 404
    (server,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server.name == "GET"
    assert server.attributes is not None
    assert "url.path" not in server.attributes and "http.route" not in server.attributes
    assert "11010519491231002X" not in recorded_text([server])


@pytest.mark.parametrize(
    ("environ", "exported"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_spans_are_exported_only_when_an_otlp_endpoint_is_configured(
    environ: dict[str, str], exported: bool
) -> None:
    assert exporting(environ) is exported
