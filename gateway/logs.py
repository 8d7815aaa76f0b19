"""Structured JSON logs: one object per line, with the trace and exchange ids, and nothing a log
must not hold — no secrets, no tokens, no personal data (a request is described by its route
template, never by its path or query, which can carry a resident ID)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from typing import Any

from flask import Response, g, has_request_context, request

from .telemetry import current_ids

access_log = logging.getLogger("gateway.access")

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace_id, span_id = current_ids()
        if trace_id:
            entry["traceId"], entry["spanId"] = trace_id, span_id
        if has_request_context() and g.get("exchange_id"):
            entry["exchangeId"] = g.exchange_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            # Exception type and where it was raised; the full trace for operators, never for
            # callers (they only ever see a problem document).
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """Process-wide logging: JSON lines on standard error (text when asked for)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Werkzeug's request log prints raw paths and query strings; our access log replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def log_request(response: Response) -> Response:
    """One access-log line per request: route template, status, duration — no path, no query."""
    started = g.get("started_monotonic")
    route = request.url_rule.rule if request.url_rule else "(unmatched)"
    principal = g.get("principal")
    access_log.info(
        "%s %s %s",
        request.method,
        route,
        response.status_code,
        extra={
            "event": "request",
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "durationMs": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "clientId": getattr(principal, "client_id", None),
        },
    )
    return response
