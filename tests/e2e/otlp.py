"""An OTLP/HTTP trace receiver on loopback: what a collector would get from the processes under
test, decoded from the export requests (OTLP 1.x, ``POST /v1/traces``) in either encoding:
protobuf, or the JSON Protobuf Encoding (hex trace and span ids)."""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span


@dataclass(frozen=True)
class ExportedSpan:
    service: str
    span: Span

    @property
    def trace_id(self) -> str:
        return self.span.trace_id.hex()

    @property
    def span_id(self) -> str:
        return self.span.span_id.hex()

    @property
    def parent_id(self) -> str:
        return self.span.parent_span_id.hex()

    @property
    def attributes(self) -> dict[str, Any]:
        return attributes(self.span.attributes)


def attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


#: OTLP JSON writes these bytes fields as hex, where protobuf's JSON mapping has base64.
_HEX_IDS = frozenset({"traceId", "spanId", "parentSpanId"})


def parse_json_request(body: bytes) -> ExportTraceServiceRequest:
    """An export request in the OTLP JSON encoding, as the protobuf message it stands for."""

    def base64_ids(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: base64.b64encode(bytes.fromhex(v)).decode() if k in _HEX_IDS else base64_ids(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [base64_ids(item) for item in node]
        return node

    return json_format.ParseDict(base64_ids(json.loads(body)), ExportTraceServiceRequest())


class OtlpReceiver:
    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                content_type = self.headers.get_content_type()
                if content_type not in ("application/x-protobuf", "application/json"):
                    self.send_error(415)
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if content_type == "application/json":
                    receiver._add(parse_json_request(body))
                    answer = b"{}"
                else:
                    receiver._add(ExportTraceServiceRequest.FromString(body))
                    answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _add(self, request: ExportTraceServiceRequest) -> None:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()

    def spans(self) -> list[ExportedSpan]:
        with self._arrived:
            requests = list(self.requests)
        found: list[ExportedSpan] = []
        for request in requests:
            for resource_spans in request.resource_spans:
                service = attributes(resource_spans.resource.attributes).get("service.name", "")
                for scope_spans in resource_spans.scope_spans:
                    found.extend(ExportedSpan(service, span) for span in scope_spans.spans)
        return found

    def wait_for(
        self, complete: Callable[[list[ExportedSpan]], bool], timeout: float = 15.0
    ) -> list[ExportedSpan]:
        """The spans received, once ``complete`` holds for them; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not complete(self.spans()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    names = sorted({(s.service, s.span.name) for s in self.spans()})
                    raise AssertionError(f"spans still missing after {timeout} s; got {names}")
                self._arrived.wait(remaining)
            return self.spans()

    def everything(self) -> str:
        """Every export request received, as JSON text (resources, names, attributes, events)."""
        with self._arrived:
            requests = list(self.requests)
        return "\n".join(json_format.MessageToJson(r, ensure_ascii=False) for r in requests)


__all__ = ["ExportedSpan", "OtlpReceiver", "parse_json_request"]
