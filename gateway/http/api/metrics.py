"""Prometheus metrics for operators (docs/api.md: GET /metrics, Prometheus text format)."""

from __future__ import annotations

from flask import Blueprint, Response

from gateway.http.api.common import services
from gateway.http.contract import STRING, Operation, ok
from gateway.observability.metrics import CONTENT_TYPE

bp = Blueprint("metrics", __name__)

METRICS = Operation(
    "Prometheus metrics",
    "health",
    operation_id="getMetrics",
    responses=ok("Text exposition format.", STRING, "text/plain"),
)


@bp.get("/metrics")
@METRICS
def metrics() -> Response:
    """Every worker's counts summed (multiprocess mode under gunicorn), never a client id."""
    return Response(services().metrics.exposition(), content_type=CONTENT_TYPE)
