"""Production serving: gunicorn with threaded workers. Each worker builds its own app after the
fork, so database engines, HTTP pools, thread pools and telemetry never cross a fork."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .settings import Settings


class GatewayServer(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from .app import create_app

        return create_app(self.settings)


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int = 30,
    graceful_timeout: int = 30,
) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": timeout,
        # SIGTERM lets in-flight exchanges finish (their audit records included) before exit.
        "graceful_timeout": graceful_timeout,
        "keepalive": 5,
        "preload_app": False,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "jjj-gateway",
    }
    GatewayServer(settings, options).run()
