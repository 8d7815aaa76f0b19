"""Citizen identity number (公民身份号码), GB 11643-1999."""

from __future__ import annotations

import datetime as dt
import functools
import operator

# GB 11643-1999 §7.2: weights W_i = 2^(i−1) mod 11 read from the right,
# i.e. these for positions 1–17.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Σ mod 11 = 0..10 maps to this check character.
CHECK = "10X98765432"
LENGTH = 18


def check_character(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("a resident-ID body has 17 digits")
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def birth_date(code: str) -> dt.date | None:
    """The date of birth in positions 7–14, or None if it is not a real date."""
    try:
        return dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


# Σ of the weights × ord("0"): subtracted once instead of converting each digit.
_ZERO = 48 * sum(WEIGHTS)


@functools.lru_cache(maxsize=65536)
def _real_date(digits: str) -> bool:
    # Dates of birth repeat a great deal; each is checked once per process.
    try:
        dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return True


def is_valid(code: object) -> bool:
    """18 characters: a region (any well-formed code; retired ones are accepted), a real date of
    birth, a three-digit sequence and the check character."""
    if not isinstance(code, str) or len(code) != LENGTH or not code.isascii():
        return False
    body = code[:17]
    if not body.isdigit() or code[:2] == "00" or not _real_date(code[6:14]):
        return False
    total = sum(map(operator.mul, body.encode("ascii"), WEIGHTS)) - _ZERO
    return CHECK[total % 11] == code[17]


def is_male(code: str) -> bool:
    """An odd sequence number (position 17) means male."""
    return int(code[16]) % 2 == 1
