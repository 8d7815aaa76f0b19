"""An OTLP/HTTP trace receiver that discards what it gets (``POST /v1/traces`` → 200).

Tracing stays on while measuring, as in production; the collector is this sink on loopback, so
the cost measured is the gateway's (creating, batching, encoding and sending spans), not a
collector's. Requests and bytes are counted to show the spans did arrive.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OtlpSink:
    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as a collector does: the exporter reuses its connection.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                sink._count(length)
                # An empty ExportTraceServiceResponse (full success) in the request's encoding:
                # zero bytes of protobuf, or `{}`.
                json = self.headers.get_content_type() == "application/json"
                answer = b"{}" if json else b""
                self.send_response(200)
                self.send_header(
                    "Content-Type", "application/json" if json else "application/x-protobuf"
                )
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="otlp-sink", daemon=True
        )

    def _count(self, size: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes += size

    def counts(self) -> tuple[int, int]:
        """(export requests, bytes) received so far."""
        with self._lock:
            return self.requests, self.bytes

    def start(self) -> OtlpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
