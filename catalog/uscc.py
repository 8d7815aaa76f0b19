"""Unified social credit code (统一社会信用代码), GB 32100-2015."""

from __future__ import annotations

import operator

# GB 32100-2015 §4: the code uses these 31 characters (no I, O, S, V, Z), valued 0–30 in this order.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
# GB 32100-2015 §5: the weight of position i (1-based, 1–17) is 3^(i−1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def check_character(first17: str) -> str:
    """The check character for the first 17 characters: charset[(31 − Σ mod 31) mod 31]."""
    if len(first17) != 17:
        raise ValueError("a USCC body has 17 characters")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


# Byte → value table for the checks on the hot path (every record is validated): characters
# outside the charset map to 255.
_TABLE = bytes(_VALUE.get(chr(b), 255) for b in range(256))


def is_valid(code: object) -> bool:
    """True for an 18-character code over the GB 32100 charset whose check character matches.

    Positions 3–8 must be six digits (the GB/T 2260 region of the registration authority).
    """
    if not isinstance(code, str) or len(code) != LENGTH or not code.isascii():
        return False
    values = code.encode("ascii").translate(_TABLE)
    if 255 in values or not code[2:8].isdigit():
        return False
    total = sum(map(operator.mul, values[:17], WEIGHTS))
    return values[17] == (31 - total % 31) % 31


def region_of(code: str) -> str:
    """The region code held in positions 3–8."""
    return code[2:8]
