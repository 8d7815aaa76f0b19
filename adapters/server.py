"""The standalone adapter server: one node's data behind the adapter protocol
(docs/architecture.md#the-adapter-protocol).

It runs next to a node's data (a file or SQL adapter) and answers ``POST /query`` and
``GET /health`` to the gateway only: every request must bear a short-lived JWT that the gateway
signed for this node. Every failure is an RFC 9457 problem that names no file, SQL or stack.
For resilience tests it can misbehave on purpose, to authenticated callers only
(``adapters.faults``).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from adapters.bearer import MalformedCredentials, bearer_token, challenge
from adapters.faults import Fault, FaultInjector
from adapters.jwks import KeysUnavailable
from adapters.kinds import build_adapter
from adapters.nodes import NodeConfig, load_nodes
from adapters.problems import ProblemError
from adapters.protocol import (
    Adapter,
    AdapterError,
    AdapterRequestError,
    AdapterTimeout,
    AdapterUnavailable,
    QueryRequest,
    normalise_filter,
)
from adapters.request_checks import RequestIssue, request_issues
from adapters.tokens import InvalidToken, TokenVerifier

logger = logging.getLogger(__name__)

#: Largest request body accepted; a query is a few hundred bytes.
MAX_BODY_BYTES = 1024 * 1024
#: Members of the ``POST /query`` body (docs/architecture.md#the-adapter-protocol); anything else is
#: refused.
QUERY_MEMBERS = frozenset({"dataset", "filter", "fields", "limit", "cursor"})
#: Page size when the body names none.
DEFAULT_LIMIT = 100
#: Longest exchange id echoed back or recorded; the gateway's are ULIDs or UUIDs.
MAX_EXCHANGE_ID_LENGTH = 100
#: Key of the served adapter in ``app.extensions`` (``serve`` closes it on shutdown).
ADAPTER_EXTENSION = "jjj-gateway.adapter"
#: Key of the fault injector in ``app.extensions``, when the server misbehaves on purpose.
FAULTS_EXTENSION = "jjj-gateway.faults"

__all__ = [
    "ADAPTER_EXTENSION",
    "FAULTS_EXTENSION",
    "MAX_BODY_BYTES",
    "TokenVerifier",
    "create_adapter_app",
    "create_server_for_node",
    "serve",
]


def _problem_type(slug: str) -> str:
    return f"/problems/{slug}"


def _invalid_request(detail: str, issues: list[RequestIssue] | None = None) -> ProblemError:
    errors = [{"path": i.path, "message": i.message} for i in issues or []]
    return ProblemError(
        400, _problem_type("invalid-request"), "Invalid request", detail, errors=errors
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_query(body: bytes, datasets: Any, exchange_id: str | None) -> QueryRequest:
    """The query a ``POST /query`` body asks for; a 400 problem listing every mistake otherwise."""
    try:
        document = json.loads(body, parse_constant=_reject_constant)
    except ValueError:
        raise _invalid_request("the request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise _invalid_request("the request body must be a JSON object")
    issues = [
        RequestIssue(f"$.{name}", "unknown member")
        for name in sorted(set(document) - QUERY_MEMBERS, key=str)
    ]
    raw_filter = document.get("filter")
    filter: dict[str, dict[str, Any]] = {}
    if isinstance(raw_filter, dict):
        try:
            filter = normalise_filter(raw_filter)
        except ValueError as exc:
            issues.append(RequestIssue("$.filter", str(exc)))
    elif raw_filter is not None:
        issues.append(RequestIssue("$.filter", "must be an object"))
    fields = document.get("fields")
    query = QueryRequest(
        dataset=document.get("dataset"),  # type: ignore[arg-type]  # checked below
        filter=filter,
        fields=tuple(fields) if isinstance(fields, list) else fields,
        limit=document.get("limit", DEFAULT_LIMIT),
        cursor=document.get("cursor"),
        exchange_id=exchange_id,
    )
    issues.extend(request_issues(query, datasets))
    if issues:
        raise _invalid_request("; ".join(str(i) for i in issues), issues)
    return query


def _bearer_challenge(realm: str, description: str | None) -> dict[str, str]:
    # RFC 6750 §3: a request without credentials gets a challenge without an error code.
    if description is None:
        return {"WWW-Authenticate": challenge(realm)}
    text = description.replace('"', "'")
    return {"WWW-Authenticate": challenge(realm, error="invalid_token", error_description=text)}


def _unauthorized(realm: str, description: str | None) -> ProblemError:
    detail = description or "a bearer token signed by the gateway is required"
    return ProblemError(
        401,
        _problem_type("invalid-token"),
        "Unauthorized",
        detail,
        headers=_bearer_challenge(realm, description),
    )


def _authenticate(verifier: TokenVerifier, node_id: str) -> None:
    """Accept only a bearer token the gateway signed for this node."""
    try:
        token = bearer_token(request.headers.get("Authorization"))
    except MalformedCredentials:
        raise _unauthorized(
            node_id, "the Authorization header does not carry a bearer token"
        ) from None
    if token is None:
        raise _unauthorized(node_id, None)
    try:
        verifier.verify(token, audience=node_id)
    except InvalidToken as exc:
        raise _unauthorized(node_id, exc.description) from None
    except KeysUnavailable:
        raise ProblemError(
            503,
            _problem_type("keys-unavailable"),
            "Service Unavailable",
            "the gateway's signing keys cannot be obtained now",
        ) from None


def _adapter_problem(exc: AdapterError) -> ProblemError:
    """The answer for an adapter failure: the request's own mistakes are named, nothing else."""
    if isinstance(exc, AdapterRequestError):
        return _invalid_request(exc.message)
    if isinstance(exc, AdapterTimeout):
        return ProblemError(
            504,
            _problem_type("node-timeout"),
            "Gateway Timeout",
            "the node's data source did not answer in time",
        )
    if isinstance(exc, AdapterUnavailable):
        return ProblemError(
            503,
            _problem_type("node-unavailable"),
            "Service Unavailable",
            "the node's data source is unavailable",
        )
    return ProblemError(
        502, _problem_type("node-error"), "Bad Gateway", "the node's data source failed to answer"
    )


_HTTP_PROBLEMS = {
    404: ("not-found", "this node serves POST /query, GET /health and GET /livez"),
    405: ("method-not-allowed", "this method is not allowed here"),
    413: ("payload-too-large", f"the request body is larger than {MAX_BODY_BYTES} bytes"),
}


def _http_problem(exc: HTTPException) -> ProblemError:
    status = exc.code or 500
    slug, detail = _HTTP_PROBLEMS.get(status, ("", exc.name))
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return ProblemError(
        status, _problem_type(slug) if slug else "about:blank", exc.name, detail, headers=headers
    )


def _internal_problem() -> ProblemError:
    return ProblemError(
        500,
        _problem_type("internal-error"),
        "Internal Server Error",
        "the node failed to answer; the incident is logged",
    )


def _exchange_id() -> str | None:
    """The gateway's correlation id of this call, if it sent one."""
    value = request.headers.get("X-Exchange-Id")
    return value[:MAX_EXCHANGE_ID_LENGTH] if value else None


def _json(document: Any, status: int = 200) -> Response:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json")


def create_adapter_app(
    node: NodeConfig,
    adapter: Adapter,
    *,
    verifier: TokenVerifier,
    tracer_provider: TracerProvider | None = None,
    fault: Fault | None = None,
) -> Flask:
    """The Flask app serving one node's adapter over the adapter protocol; with ``fault``, every
    authenticated query is answered with that fault (see ``adapters.faults``)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[ADAPTER_EXTENSION] = adapter
    injector = FaultInjector(fault) if fault is not None else None
    if injector is not None:
        app.extensions[FAULTS_EXTENSION] = injector
    tracer = trace.get_tracer("adapters", tracer_provider=tracer_provider)

    def traced(span_name: str, handle: Callable[[dict[str, Any]], Response]) -> Response:
        """Run a view in a SERVER span joined to the caller's trace; every failure a problem.

        Its attributes name the node, the exchange, the dataset and the record count — never a
        filter value or a record field (docs/architecture.md#tracing-and-metrics: no personal data
        in a trace).
        """
        exchange_id = _exchange_id()
        attributes: dict[str, Any] = {"jjj.node.id": node.id}
        route: dict[str, Any] = {
            "http.request.method": request.method,
            "http.route": request.url_rule.rule if request.url_rule else request.path,
        }
        if exchange_id:
            attributes["jjj.exchange.id"] = exchange_id
        with tracer.start_as_current_span(
            span_name,
            context=propagate.extract(request.headers),
            kind=SpanKind.SERVER,
            attributes=route | attributes,
            # Exception messages may quote request values: they stay out of the trace.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                response = handle(attributes)
            except ProblemError as problem:
                response = problem.response(request.path, exchange_id)
            except HTTPException as exc:
                response = _http_problem(exc).response(request.path, exchange_id)
            except Exception:
                logger.exception("node %s: %s failed", node.id, span_name)
                response = _internal_problem().response(request.path, exchange_id)
            for key in ("jjj.dataset.id", "jjj.records.count"):
                if key in attributes:
                    span.set_attribute(key, attributes[key])
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    def run_query(attributes: dict[str, Any]) -> Response:
        _authenticate(verifier, node.id)
        query = parse_query(request.get_data(cache=False), node.datasets, _exchange_id())
        attributes["jjj.dataset.id"] = query.dataset

        def answer() -> dict[str, Any]:
            try:
                page = adapter.query(query)
            except AdapterError as exc:
                if not isinstance(exc, AdapterRequestError):
                    logger.warning("node %s: %s", node.id, exc)
                raise _adapter_problem(exc) from None
            attributes["jjj.records.count"] = len(page.records)
            return {"records": list(page.records), "nextCursor": page.next_cursor}

        # Faults are for authenticated callers only: the token was verified above.
        if injector is not None:
            return injector.respond(answer, request.environ)
        return _json(answer())

    def run_health(attributes: dict[str, Any]) -> Response:
        _authenticate(verifier, node.id)
        health = adapter.health()
        document = {"status": health.status, "datasets": list(health.datasets)}
        return _json(document, 200 if health.status == "ok" else 503)

    @app.post("/query")
    def query() -> Response:
        return traced("adapter.serve", run_query)

    @app.get("/health")
    def health() -> Response:
        return traced("adapter.health", run_health)

    @app.get("/livez")
    def livez() -> Response:
        # For probes: says only that the process answers (no data, no node detail, no token).
        return _json({"status": "ok"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _http_problem(exc).response(request.path, _exchange_id())

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Response:
        logger.error("node %s: unhandled failure", node.id, exc_info=exc)
        return _internal_problem().response(request.path, _exchange_id())

    return app


def create_server_for_node(
    node_id: str,
    *,
    nodes_dir: Path | None,
    data_dir: Path,
    issuer: str,
    jwks_url: str | None = None,
    jwks_file: Path | None = None,
    fault: Fault | None = None,
) -> Flask:
    """The adapter server app for one configured node whose data lives here (file or sql),
    misbehaving on purpose when given a ``fault``."""
    nodes = load_nodes(nodes_dir)
    node = nodes.get(node_id)
    if node is None:
        known = ", ".join(sorted(nodes)) or "none"
        raise ValueError(f"no node {node_id!r} is configured (known: {known})")
    if node.kind == "http":
        raise ValueError(f"node {node_id!r} is reached over HTTP; serve it where its data lives")
    verifier = TokenVerifier(issuer, jwks_url=jwks_url, jwks_file=jwks_file)
    adapter = build_adapter(node, data_dir=data_dir)
    if fault is not None:
        logger.warning("node %s: every authenticated query gets the fault %s", node_id, fault)
    return create_adapter_app(node, adapter, verifier=verifier, fault=fault)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve the app with werkzeug's threaded server until interrupted (Ctrl-C or SIGTERM), then
    close the adapter."""
    server = make_server(host, port, app, threaded=True)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (how service managers and Kubernetes stop a process) ends the server like
        # Ctrl-C: the adapter is closed and exit handlers run (queued spans are exported).
        signal.signal(signal.SIGTERM, _interrupt)
    logger.info("adapter server listening on http://%s:%d", host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        adapter = app.extensions.get(ADAPTER_EXTENSION)
        if adapter is not None:
            adapter.close()


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt
