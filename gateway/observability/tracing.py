"""OpenTelemetry tracing (docs/architecture.md#tracing-and-metrics): one tracer provider per
process, exporting over OTLP/HTTP only when the standard OTEL_* variables name an endpoint — nothing
leaves the process otherwise.

A provider's BatchSpanProcessor owns a thread, and a thread does not survive a fork: under
gunicorn each worker installs its own provider after the fork (`gateway.serving`), the master none.
Every other entry point (the demo, the adapter server, a test) installs it when it builds its app.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from gateway.core.version import version

log = logging.getLogger(__name__)

#: The service.name (OpenTelemetry) of the gateway's own processes.
SERVICE_NAME = "jjj-gateway"

_lock = threading.Lock()
_provider: TracerProvider | None = None


def adapter_service(node_id: str) -> str:
    """The default service name of the adapter server of one node."""
    return f"jjj-adapter-{node_id}"


def exporting(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether spans are exported: an OTLP endpoint is named, and neither the SDK nor the traces
    exporter is switched off."""
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    exporters = {e.strip() for e in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")}
    disabled = environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return bool(endpoint) and "otlp" in exporters and not disabled


def init_tracing(service_name: str = SERVICE_NAME) -> None:
    """Install this process's tracer provider; later calls in the same process change nothing.

    ``OTEL_SERVICE_NAME`` wins over ``service_name``. Sampling, batching, headers, timeout and
    compression follow the standard OTEL_* variables (read by the SDK and the exporter).
    """
    global _provider
    with _lock:
        if _provider is not None:
            return
        if isinstance(trace.get_tracer_provider(), TracerProvider):
            return  # the program embedding the gateway installed its own: spans go where it says
        # The SDK flushes the provider at interpreter exit (atexit), so short-lived processes
        # keep their last spans; `shutdown_tracing` does the same earlier (gunicorn worker_exit).
        provider = TracerProvider(resource=_resource(service_name), shutdown_on_exit=True)
        if exporting():
            provider.add_span_processor(BatchSpanProcessor(span_exporter()))
        trace.set_tracer_provider(provider)
        _provider = provider


def span_exporter(environ: Mapping[str, str] = os.environ) -> SpanExporter:
    """The OTLP/HTTP exporter of the protocol the standard variables name (default protobuf)."""
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    from gateway.observability.otlp_json import OTLPJsonSpanExporter, OTLPProtobufSpanExporter

    if protocol == "http/json":
        return OTLPJsonSpanExporter(environ)
    if protocol != "http/protobuf":
        log.warning("OTLP protocol %r is not supported; exporting http/protobuf", protocol)
    return OTLPProtobufSpanExporter(environ)


def shutdown_tracing() -> None:
    """Export the spans still queued and stop exporting (the process is about to exit)."""
    with _lock:
        provider = _provider
    if provider is not None:
        provider.shutdown()


def _resource(service_name: str) -> Resource:
    attributes = {
        "service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name,
        "service.version": version(),
    }
    # Resource.create adds OTEL_RESOURCE_ATTRIBUTES; the attributes given here take precedence.
    return Resource.create(attributes)


_tracers: dict[int, trace.Tracer] = {}


def tracer() -> trace.Tracer:
    """The gateway's tracer, looked up once per provider (the lookup is not free)."""
    provider = trace.get_tracer_provider()
    found = _tracers.get(id(provider))
    if found is None:
        found = _tracers[id(provider)] = trace.get_tracer("gateway")
    return found


@contextmanager
def child_span(
    name: str, *, kind: SpanKind = SpanKind.INTERNAL, attributes: Mapping[str, Any] | None = None
) -> Iterator[Span]:
    """A span of one pipeline step under the current span.

    An exception is marked by its type only: its message may quote a request or a record, and
    no personal data goes into a trace (docs/architecture.md#tracing-and-metrics).
    """
    with tracer().start_as_current_span(
        name,
        kind=kind,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except Exception as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def annotate_exchange(*, dataset: str | None, decision: str, rule_id: str | None) -> None:
    """Name the exchange's outcome on the current (server) span: ids from configuration only."""
    span = trace.get_current_span()
    if dataset is not None:
        span.set_attribute("gateway.dataset", dataset)
    span.set_attribute("gateway.decision", decision)
    if rule_id is not None:
        span.set_attribute("gateway.rule_id", rule_id)


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span as lowercase hex, or (None, None)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"
