"""The server secret: from configuration, or created once in the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret(configured: str, instance_path: Path) -> bytes:
    if configured:
        return configured.encode("utf-8")
    path = instance_path / "secret.key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")
