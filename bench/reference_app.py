"""A bare Flask app: what gunicorn and Flask alone cost on this machine, for scale.

It answers ``GET /healthz`` with ``{"status": "ok"}`` and does nothing else — no tracing, no
metrics, no logging — so that the gateway's (a) can be read against the stack it stands on.
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask("reference")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
