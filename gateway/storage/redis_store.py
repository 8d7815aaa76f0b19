"""The optional Redis connection (GATEWAY_REDIS_URL): shared fast state across replicas."""

from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)

#: Every key the gateway writes starts with this, so one Redis can serve other systems too.
PREFIX = "jjj:"


def connect(url: str) -> redis.Redis | None:
    """A client for the URL (connections are made on first use, per process), or None."""
    if not url:
        return None
    # Short timeouts: Redis is an accelerator here, and a slow Redis must not stall exchanges.
    return redis.Redis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
    )
