"""Structured JSON logs: one object per line, with the trace and exchange ids, and nothing a log
must not hold — no secrets, no tokens, no personal data (a request is described by its route
template, never by its path or query, which can carry a resident ID)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import sys
import threading
import time
from typing import Any

from flask import Response, g, has_request_context, request

from adapters.forks import reset_after_fork
from gateway.observability.tracing import current_ids

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


class BackgroundStreamHandler(logging.Handler):
    """Formats in the logging thread (which knows the request and the trace) and writes from a
    background thread, so request threads never queue on the stream's lock.

    A forked worker starts its own writer thread on first use.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream
        self._forget_writer()
        reset_after_fork(self._forget_writer)

    def _forget_writer(self) -> None:
        # A forked child has no writer thread: it starts its own, with a queue of its own.
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._writing = False
        self._start_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        if not self._writing:
            with self._start_lock:
                if not self._writing:
                    threading.Thread(
                        target=self._write, args=(self._queue,), daemon=True, name="log-writer"
                    ).start()
                    self._writing = True
        self._queue.put(line)

    def _write(self, lines: queue.SimpleQueue[str | None]) -> None:
        while True:
            line = lines.get()
            if line is None:
                return
            batch = [line]
            while True:
                try:
                    more = lines.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    lines.put(None)
                    break
                batch.append(more)
            try:
                self.stream.write("\n".join(batch) + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed stream at exit: nothing left to tell

    def flush(self) -> None:
        # At exit: let the writer drain what is queued (bounded wait).
        if self._writing:
            deadline = time.monotonic() + 2.0
            while not self._queue.empty() and time.monotonic() < deadline:
                time.sleep(0.01)


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """Process-wide logging: JSON lines on standard error (text when asked for)."""
    handler = BackgroundStreamHandler(sys.stderr)
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
