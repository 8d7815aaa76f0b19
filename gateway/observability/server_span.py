"""The server span of every request, after the OpenTelemetry HTTP semantic conventions (stable
attribute names), joined to the caller's trace when it sent a W3C ``traceparent``.

No personal data in any attribute (docs/architecture.md#tracing-and-metrics): the query string
(filter values) is never recorded, and the path segment of a record key — a key can be a resident ID
— is redacted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, g, request
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from gateway.observability.tracing import tracer

#: Path variables that may hold personal data; ``url.path`` shows REDACTED in their place.
PERSONAL_PATH_VARIABLES = frozenset({"key"})
REDACTED = "REDACTED"
#: Methods recorded as sent; any other is ``_OTHER`` (the conventions bound the cardinality).
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
MAX_USER_AGENT = 256
_DEFAULT_PORTS = {"http": 80, "https": 443}


def start_server_span(exchange_id: str | None) -> None:
    """Start the request's SERVER span and make it current, named ``METHOD route-template``."""
    method = request.method if request.method in KNOWN_METHODS else "_OTHER"
    rule = request.url_rule
    attributes: dict[str, AttributeValue] = {
        "http.request.method": method,
        "url.scheme": request.scheme,
    }
    if exchange_id is not None:
        attributes["gateway.exchange_id"] = exchange_id
    attributes.update(_server_address())
    protocol = request.environ.get("SERVER_PROTOCOL", "")
    if protocol.startswith("HTTP/"):
        attributes["network.protocol.version"] = protocol.removeprefix("HTTP/")
    if request.user_agent.string:
        attributes["user_agent.original"] = request.user_agent.string[:MAX_USER_AGENT]
    if rule is not None:
        attributes["http.route"] = rule.rule
        attributes["url.path"] = _redacted_path()
    # A path that matched no route may hold anything a caller typed: it is not recorded.
    name = f"{method if method != '_OTHER' else 'HTTP'} {rule.rule}" if rule else method
    span = tracer().start_span(
        name, context=extract(request.headers), kind=SpanKind.SERVER, attributes=attributes
    )
    g.otel_span = span
    g.otel_token = otel_context.attach(trace.set_span_in_context(span))


def describe_response(response: Response) -> None:
    """The status code and the caller's client id on the server span; ERROR for a 5xx."""
    span = g.get("otel_span")
    if span is None:
        return
    span.set_attribute("http.response.status_code", response.status_code)
    principal = g.get("principal")
    if principal is not None:
        span.set_attribute("gateway.client_id", principal.client_id)
    if response.status_code >= 500:
        span.set_status(Status(StatusCode.ERROR))


def end_server_span() -> None:
    span = g.pop("otel_span", None)
    token = g.pop("otel_token", None)
    if span is not None:
        span.end()
    if token is not None:
        otel_context.detach(token)


def _redacted_path() -> str:
    values = request.view_args or {}
    personal = PERSONAL_PATH_VARIABLES & values.keys()
    if not personal or request.url_rule is None:
        return request.path
    built = request.url_rule.build(
        {**values, **dict.fromkeys(personal, REDACTED)}, append_unknown=False
    )
    return built[1] if built is not None else REDACTED


def _server_address() -> dict[str, AttributeValue]:
    """``server.address`` and ``server.port`` from the Host header, as the client addressed us."""
    try:
        parts = urlsplit(f"{request.scheme}://{request.host}")
        port = parts.port
    except ValueError:  # a malformed Host header: nothing trustworthy to record
        return {}
    if not parts.hostname:
        return {}
    return {
        "server.address": parts.hostname,
        "server.port": port or _DEFAULT_PORTS.get(request.scheme, 80),
    }
