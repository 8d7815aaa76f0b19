"""JJJ Data Gateway: the Flask service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # The app (and all it imports) loads on first use, so that commands which do not serve the
    # gateway — an adapter server, key rotation — start quickly.
    if name == "create_app":
        from gateway.app import create_app

        return create_app
    raise AttributeError(name)
