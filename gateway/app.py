"""The app factory: defaults → config file → GATEWAY_* environment → the mapping passed in."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from gateway.audit.trail import AuditUnavailable
from gateway.core.canonical import sha256_hex
from gateway.core.ids import uuid7
from gateway.core.problems import Problem
from gateway.core.settings import Settings, load_settings
from gateway.http import caching as http_caching
from gateway.http import guards as http_guards
from gateway.http import web
from gateway.http.answer_audit import answer_record, surface_kind
from gateway.http.api import (
    admin,
    audit,
    catalog_api,
    data,
    docs,
    health,
    metrics,
    oauth,
    problem_docs,
)
from gateway.http.api.common import problem_response, services
from gateway.observability.logs import log_request
from gateway.observability.server_span import describe_response, end_server_span, start_server_span
from gateway.observability.tracing import current_ids, init_tracing
from gateway.services import Configuration, build_services

log = logging.getLogger(__name__)

_HTTP_PROBLEMS = {
    400: "invalid-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "quota-exceeded",
}


def create_app(
    config: Mapping[str, Any] | Settings | None = None,
    *,
    configuration: Configuration | None = None,
) -> Flask:
    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask("gateway", instance_path=str(settings.instance_path.resolve()), static_folder=None)
    # Werkzeug answers a path with doubled slashes by a redirect to an absolute URL built from
    # the request's Host header (Host: evil.example → Location: http://evil.example/…), which a
    # shared cache may keep for everyone. Such a path is simply not found.
    app.url_map.merge_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # The tracer provider of this process, unless it has one (a gunicorn worker installed it
    # after the fork, before loading the app).
    init_tracing()
    built = build_services(settings, configuration)
    app.extensions["jjj-gateway"] = built
    http_caching.mark_loaded(app.extensions)
    if settings.warm_start:
        built.fleet.warm()

    for blueprint in (
        health.bp,
        metrics.bp,
        oauth.bp,
        catalog_api.bp,
        data.bp,
        admin.bp,
        audit.bp,
        problem_docs.bp,
        docs.bp,
        web.bp,
    ):
        app.register_blueprint(blueprint)
    oauth.init_app(app, built)

    app.before_request(_begin)
    http_guards.install(
        app, cors_origins=[o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    )
    app.after_request(log_request)
    app.after_request(_headers)
    app.after_request(_account)  # runs first: the answer it may replace is the one logged
    app.teardown_request(_end)
    app.register_error_handler(Problem, _problem)
    app.register_error_handler(AuditUnavailable, _audit_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _begin() -> None:
    # Only answers that are audited carry an exchange id (see answer_audit).
    g.audit_kind = surface_kind(request.method, request.path)
    g.exchange_id = uuid7() if g.audit_kind is not None else None
    g.started_at = dt.datetime.now(dt.UTC)
    g.started_monotonic = time.perf_counter()
    start_server_span(g.exchange_id)


def _headers(response: Response) -> Response:
    if g.get("exchange_id"):
        response.headers.setdefault("X-Exchange-Id", g.exchange_id)
    if request.path.startswith(("/v1/", "/oauth/")):
        response.headers.setdefault("Cache-Control", "no-store")
    describe_response(response)
    return response


def _account(response: Response) -> Response:
    """Record an answer that carries an exchange id if nothing recorded it yet (a refused
    attempt, a 404 or 405, a read of the admin API); if that fails, the answer fails closed."""
    exchange_id = g.get("exchange_id")
    trail = services().audit
    if not exchange_id or trail.accounted_for(exchange_id):
        return response
    view_args = request.view_args or {}
    trace_id, span_id = current_ids()
    record = answer_record(
        kind=g.audit_kind,
        exchange_id=exchange_id,
        principal=g.get("principal"),
        started_at=g.started_at,
        method=request.method,
        route=request.url_rule.rule if request.url_rule is not None else None,
        dataset=view_args.get("dataset_id") if g.audit_kind == "exchange" else None,
        purpose=request.headers.get("X-Purpose") if g.audit_kind == "exchange" else None,
        status=response.status_code,
        problem=g.get("problem"),
        response_hash=None if response.is_streamed else sha256_hex(response.get_data()),
        trace_id=trace_id,
        span_id=span_id,
    )
    try:
        trail.record(record)
    except AuditUnavailable:
        return _audit_unavailable(None)
    return response


def _audit_unavailable(_exc: AuditUnavailable | None) -> Response:
    log.error("audit append failed; exchange %s fails closed", g.get("exchange_id"))
    return problem_response(Problem("service-unavailable", headers={"Retry-After": "5"}))


def _end(_exc: BaseException | None) -> None:
    end_server_span()


def _problem(problem: Problem) -> Response:
    return problem_response(problem)


def _http_error(exc: HTTPException) -> Response:
    if request.path.startswith("/oauth/"):
        from gateway.http.api.oauth import oauth_error

        return oauth_error(exc)
    if web.is_page_path(request.path):
        allowed = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
        return web.error_page(exc.code or 500, headers=allowed)
    slug = _HTTP_PROBLEMS.get(
        exc.code or 500, "invalid-request" if (exc.code or 500) < 500 else "internal-error"
    )
    allow = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    return problem_response(Problem(slug, status=exc.code, headers=allow))


def _unexpected(exc: Exception) -> Response:
    # The stack trace goes to the log, never to the caller.
    log.exception("unhandled error in exchange %s", g.get("exchange_id"))
    if web.is_page_path(request.path):
        return web.error_page(500)
    return problem_response(Problem("internal-error"))


__all__ = ["create_app", "services"]
