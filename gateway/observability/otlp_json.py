"""Span export over OTLP/HTTP with the JSON encoding (``OTEL_EXPORTER_OTLP_PROTOCOL=http/json``).

The OpenTelemetry SDK exports OTLP/HTTP as protobuf only, building one Python protobuf message
per span, attribute and value. A busy gateway worker spent about a sixth of its CPU there. The
JSON encoding of the same request (OTLP specification, "JSON Protobuf Encoding": lowerCamelCase
field names, trace and span ids as hex, enums as integers, 64-bit integers as strings) is built
from plain dicts and serialised by orjson, several times cheaper, and every OTLP/HTTP receiver
(the OpenTelemetry Collector among them) accepts it on the same ``/v1/traces`` path.

Configuration follows the standard variables, as the SDK's protobuf exporter reads them:
``OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT``, ``_HEADERS``, ``_TIMEOUT`` (seconds), ``_COMPRESSION``
(``gzip`` or ``none``), ``_CERTIFICATE``, ``_CLIENT_CERTIFICATE`` and ``_CLIENT_KEY``.
"""

from __future__ import annotations

import base64
import gzip
import logging
import os
import random
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import orjson
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as encode_protobuf
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanContext, SpanKind
from opentelemetry.util.re import parse_env_headers

from adapters.outbound import Deadline, read_body, within

log = logging.getLogger(__name__)

PROTOCOL = "http/json"
DEFAULT_ENDPOINT = "http://localhost:4318"
TRACES_PATH = "v1/traces"
DEFAULT_TIMEOUT = 10.0
#: A collector's answer is not needed beyond its status; more than this is not read.
ANSWER_BYTES = 64 * 1024
#: Answers after which the OTLP specification says to send the same request again.
RETRYABLE = frozenset({429, 502, 503, 504})
#: span.flags: bit 8 says whether bit 9 (the parent is remote) is known (trace.proto, SpanFlags).
_HAS_IS_REMOTE = 0x100
_IS_REMOTE = 0x200
#: SpanKind of the SDK (INTERNAL = 0 ...) to the OTLP enum (SPAN_KIND_INTERNAL = 1 ...).
_KIND = {kind: kind.value + 1 for kind in SpanKind}


def _setting(environ: Mapping[str, str], name: str) -> str | None:
    """The traces-specific variable, else the general one (``OTEL_EXPORTER_OTLP_<name>``)."""
    return environ.get(f"OTEL_EXPORTER_OTLP_TRACES_{name}") or environ.get(
        f"OTEL_EXPORTER_OTLP_{name}"
    )


def traces_endpoint(environ: Mapping[str, str]) -> str:
    """The signal-specific endpoint as given, or the base endpoint with ``/v1/traces``."""
    if specific := environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return specific
    base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_ENDPOINT
    return f"{base.removesuffix('/')}/{TRACES_PATH}"


class OTLPJsonSpanExporter(SpanExporter):
    """Exports span batches as OTLP/HTTP JSON; retries what the specification says to retry."""

    CONTENT_TYPE = "application/json"

    @staticmethod
    def encode(spans: Sequence[ReadableSpan]) -> bytes:
        return encode_spans(spans)

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self.endpoint = traces_endpoint(environ)
        raw_timeout = _setting(environ, "TIMEOUT")
        try:
            self.timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT
        except ValueError:
            log.warning("invalid OTLP timeout %r; using %s s", raw_timeout, DEFAULT_TIMEOUT)
            self.timeout = DEFAULT_TIMEOUT
        compression = (_setting(environ, "COMPRESSION") or "none").strip().lower()
        if compression not in ("gzip", "none"):
            log.warning("OTLP compression %r is not supported; sending uncompressed", compression)
            compression = "none"
        self.gzip = compression == "gzip"
        configured = parse_env_headers(_setting(environ, "HEADERS") or "", liberal=True)
        headers = {name.lower(): value for name, value in configured.items()}
        headers["content-type"] = self.CONTENT_TYPE
        if self.gzip:
            headers["content-encoding"] = "gzip"
        certificate = _setting(environ, "CERTIFICATE")
        client_certificate = _setting(environ, "CLIENT_CERTIFICATE")
        client_key = _setting(environ, "CLIENT_KEY")
        self._client = httpx.Client(
            headers=headers,
            timeout=self.timeout,
            verify=certificate or True,
            cert=(client_certificate, client_key)
            if client_certificate and client_key
            else client_certificate,
        )
        self._stopped = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._stopped.is_set():
            return SpanExportResult.FAILURE
        try:
            body = self.encode(spans)
        except Exception:  # a span the encoder cannot express: drop the batch, keep exporting
            log.exception("cannot encode a batch of %d spans", len(spans))
            return SpanExportResult.FAILURE
        if self.gzip:
            body = gzip.compress(body, compresslevel=6)
        return self._send(body)

    def _send(self, body: bytes) -> SpanExportResult:
        # The export's time budget is wall-clock, for all attempts together: a collector that
        # drips its answer cannot hold the export (and the spans queued behind it) for longer.
        deadline = Deadline.after(self.timeout)
        attempt = 0
        while True:
            try:
                with (
                    within(deadline) as watch,
                    self._client.stream(
                        "POST",
                        self.endpoint,
                        content=body,
                        timeout=deadline.cut(self._client.timeout),
                        extensions=watch.extensions,
                    ) as answer,
                ):
                    watch.response(answer)
                    read_body(answer, ANSWER_BYTES, deadline, truncate=True)
            except (httpx.HTTPError, ValueError) as exc:
                status, reason = None, type(exc).__name__
            else:
                if answer.is_success:
                    return SpanExportResult.SUCCESS
                status, reason = answer.status_code, f"HTTP {answer.status_code}"
            # Exponential back-off with jitter, within the export's time budget.
            pause = min(2.0**attempt, 32.0) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
            retryable = status is None or status in RETRYABLE
            if not retryable or pause >= deadline.remaining():
                log.warning("span export to %s failed (%s); batch dropped", self.endpoint, reason)
                return SpanExportResult.FAILURE
            if self._stopped.wait(pause):
                return SpanExportResult.FAILURE
            attempt += 1

    def shutdown(self) -> None:
        self._stopped.set()
        self._client.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # nothing is buffered here: each export is sent before it returns


class OTLPProtobufSpanExporter(OTLPJsonSpanExporter):
    """The same exporter sending the protobuf encoding (``http/protobuf``, the default).

    The SDK's own protobuf exporter sends with ``requests``, whose timeout bounds each socket
    read only: a collector dripping its answer would hold the export thread, and the spans
    queued behind it, for as long as it liked. This one has the export's wall-clock deadline.
    """

    CONTENT_TYPE = "application/x-protobuf"

    @staticmethod
    def encode(spans: Sequence[ReadableSpan]) -> bytes:
        return bytes(encode_protobuf(spans).SerializePartialToString())


# -- the encoding --------------------------------------------------------------------------------


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """An ``ExportTraceServiceRequest`` in the OTLP JSON encoding."""
    # Spans of one provider share their Resource and scope objects: group by identity (the
    # SDK's Resource hashes a JSON dump of its attributes on every call).
    resources: dict[int, tuple[Any, dict[int, tuple[Any, list[dict[str, Any]]]]]] = {}
    for span in spans:
        resource = span.resource
        scope = span.instrumentation_scope
        _, scopes = resources.setdefault(id(resource), (resource, {}))
        scopes.setdefault(id(scope), (scope, []))[1].append(_span(span))
    request = {
        "resourceSpans": [
            {
                "resource": {"attributes": _attributes(resource.attributes)},
                "scopeSpans": [
                    {"scope": _scope(scope), "spans": encoded, **_schema(scope)}
                    for scope, encoded in scopes.values()
                ],
                **_schema(resource),
            }
            for resource, scopes in resources.values()
        ]
    }
    return orjson.dumps(request)


def _schema(owner: Any) -> dict[str, str]:
    url = getattr(owner, "schema_url", None)
    return {"schemaUrl": url} if url else {}


def _scope(scope: Any) -> dict[str, Any]:
    if scope is None:
        return {}
    encoded: dict[str, Any] = {"name": scope.name}
    if scope.version:
        encoded["version"] = scope.version
    if scope.attributes:
        encoded["attributes"] = _attributes(scope.attributes)
    return encoded


def _span(span: ReadableSpan) -> dict[str, Any]:
    context = span.context
    assert context is not None  # a recorded span always has one
    parent = span.parent
    encoded: dict[str, Any] = {
        "traceId": f"{context.trace_id:032x}",
        "spanId": f"{context.span_id:016x}",
        "name": span.name,
        "kind": _KIND[span.kind],
        "startTimeUnixNano": str(span.start_time),
        "endTimeUnixNano": str(span.end_time),
        "flags": _flags(parent),
    }
    if parent is not None:
        encoded["parentSpanId"] = f"{parent.span_id:016x}"
    if context.trace_state:
        encoded["traceState"] = ",".join(f"{k}={v}" for k, v in context.trace_state.items())
    if span.attributes:
        encoded["attributes"] = _attributes(span.attributes)
    if span.dropped_attributes:
        encoded["droppedAttributesCount"] = span.dropped_attributes
    if span.events:
        encoded["events"] = [
            {
                "name": event.name,
                "timeUnixNano": str(event.timestamp),
                "attributes": _attributes(event.attributes),
                **_dropped(event.dropped_attributes),
            }
            for event in span.events
        ]
    if span.dropped_events:
        encoded["droppedEventsCount"] = span.dropped_events
    if span.links:
        encoded["links"] = [
            {
                "traceId": f"{link.context.trace_id:032x}",
                "spanId": f"{link.context.span_id:016x}",
                "attributes": _attributes(link.attributes),
                "flags": _flags(link.context),
                **_dropped(link.dropped_attributes),
            }
            for link in span.links
        ]
    if span.dropped_links:
        encoded["droppedLinksCount"] = span.dropped_links
    status = span.status
    encoded["status"] = (
        {"code": status.status_code.value, "message": status.description}
        if status.description
        else {"code": status.status_code.value}
    )
    return encoded


def _dropped(count: int) -> dict[str, int]:
    return {"droppedAttributesCount": count} if count else {}


def _flags(context: SpanContext | None) -> int:
    if context is not None and context.is_remote:
        return _HAS_IS_REMOTE | _IS_REMOTE
    return _HAS_IS_REMOTE


def _attributes(attributes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not attributes:
        return []
    # The SDK's BoundedAttributes keeps a plain dict; iterating the mapping itself goes through
    # the Mapping ABC and takes the span's lock once per key. A finished span's attributes no
    # longer change, so its dict is read directly when it has one.
    plain = getattr(attributes, "_dict", None)
    items = plain.items() if isinstance(plain, dict) else attributes.items()
    return [{"key": key, "value": _value(value)} for key, value in items]


def _value(value: Any) -> dict[str, Any]:
    # Exact type checks first: the attributes of a span are almost always these.
    kind = type(value)
    if kind is str:
        return {"stringValue": value}
    if kind is bool:
        return {"boolValue": value}
    if kind is int:
        return {"intValue": str(value)}
    if kind is float:
        return {"doubleValue": value}
    if value is None:
        return {}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": _attributes({str(k): v for k, v in value.items()})}}
    if isinstance(value, Sequence):
        return {"arrayValue": {"values": [_value(item) for item in value]}}
    raise TypeError(f"an attribute value of type {kind.__name__} has no OTLP encoding")
