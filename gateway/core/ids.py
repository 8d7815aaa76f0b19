"""Exchange identifiers: UUIDv7 (RFC 9562 §5.7), time-ordered so audit ids sort by time."""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> str:
    # RFC 9562 §5.7: 48-bit Unix time in ms, version 7, 12 random bits, variant 10, 62 random bits.
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68) << 64  # 12 bits
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
