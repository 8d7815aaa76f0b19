"""The version of the running gateway, as installed (service.version, jjj_build_info)."""

from __future__ import annotations

from functools import cache
from importlib import metadata


@cache
def version() -> str:
    try:
        return metadata.version("jjj-gateway")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
