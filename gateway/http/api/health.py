"""Liveness and readiness (docs/api.md)."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import text

from gateway.audit.trail import AuditUnavailable
from gateway.http.api.common import json_response, services
from gateway.http.contract import JSON, Operation, obj, ok, schema

bp = Blueprint("health", __name__)

READINESS = schema(
    "Readiness",
    obj(
        {"status": {"enum": ["ready", "unavailable"]}, "checks": {"type": "object"}},
        ["status", "checks"],
    ),
)
LIVENESS = Operation(
    "Liveness",
    "health",
    operation_id="getLiveness",
    responses=ok(
        "The process answers.", schema("Health", obj({"status": {"const": "ok"}}, ["status"]))
    ),
)
READY = Operation(
    "Readiness",
    "health",
    operation_id="getReadiness",
    description="Ready when the database answers and the configuration is loaded; nodes "
    "are reported but a down node does not make the gateway unready.",
    responses={
        "200": ("Ready.", {JSON: READINESS}),
        "503": ("Not ready.", {JSON: READINESS}),
    },
)


@bp.get("/healthz")
@LIVENESS
def healthz() -> Response:
    """The process answers; nothing else is checked (a liveness probe must not flap with a node)."""
    return json_response({"status": "ok"})


@bp.get("/readyz")
@READY
def readyz() -> Response:
    """Ready when the database answers, the audit trail takes records and the configuration is
    loaded; nodes are reported, and a down node does not make the gateway unready (other datasets
    and regions still work)."""
    svc = services()
    checks: dict[str, object] = {}
    ready = True
    try:
        with svc.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"status": "ok"}
    except Exception as exc:
        checks["database"] = {"status": "unavailable", "detail": type(exc).__name__}
        ready = False
    # Every exchange appends its audit record before it answers
    # (docs/architecture.md#the-exchange-pipeline, step 8): a gateway that cannot append fails every
    # exchange closed, so it is not ready.
    try:
        svc.audit.probe()
        checks["audit"] = {"status": "ok"}
    except AuditUnavailable as exc:
        checks["audit"] = {"status": "unavailable", "detail": str(exc)}
        ready = False
    if svc.redis is not None:
        try:
            svc.redis.ping()
            checks["redis"] = {"status": "ok"}
        except Exception as exc:  # reported, not fatal: see docs/deployment.md
            checks["redis"] = {
                "status": "unavailable",
                "detail": type(exc).__name__,
                "quotas": "fail-open"
                if svc.settings.quota_fail_open
                else "data requests refused (fail closed)",
            }
    checks["configuration"] = {
        "status": "ok",
        "datasets": len(svc.config.catalog.datasets),
        "nodes": len(svc.config.nodes),
    }
    # Each node's own report and its circuit breaker (state, consecutive failures).
    breakers = svc.fleet.breakers()
    checks["nodes"] = {
        node: {
            "status": h.status,
            **({"detail": h.detail} if h.detail else {}),
            "breaker": breakers[node],
        }
        for node, h in svc.fleet.health().items()
    }
    return json_response(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
