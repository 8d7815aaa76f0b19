"""OpenTelemetry set-up: one tracer provider per process, exported over OTLP/HTTP only when the
standard OTEL_* variables ask for it (nothing leaves the process otherwise)."""

from __future__ import annotations

import os
import threading

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_lock = threading.Lock()
_configured_pid: int | None = None


def exporting() -> bool:
    return (
        bool(
            os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        )
        and os.environ.get("OTEL_TRACES_EXPORTER", "otlp") != "none"
        and os.environ.get("OTEL_SDK_DISABLED", "false").lower() != "true"
    )


def init_tracing(service_name: str = "jjj-gateway") -> None:
    """Install the process's tracer provider once (again in a forked worker)."""
    global _configured_pid
    with _lock:
        if _configured_pid == os.getpid():
            return
        resource = Resource.create(
            {"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)}
        )
        provider = TracerProvider(resource=resource)
        if exporting():
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        if _configured_pid is None:
            trace.set_tracer_provider(provider)
        else:
            # After a fork the global provider is already set; swap its delegate for this process.
            trace._TRACER_PROVIDER = provider
        _configured_pid = os.getpid()


def tracer() -> trace.Tracer:
    return trace.get_tracer("gateway")


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span as lowercase hex, or (None, None)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"
