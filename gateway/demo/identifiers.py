"""Identifiers of the demo data: organisation codes, USCCs, resident IDs, patent numbers."""

from __future__ import annotations

import datetime as dt
import random

from catalog import resident_id as resident_id_rules
from catalog import uscc as uscc_rules

# GB 11714-1997 §5: the body of an organisation code is 8 digits or capital letters; within a USCC
# only the GB 32100 characters may appear, so the generator draws from that set.
ORGANISATION_CHARS = uscc_rules.CHARSET
# GB 11714-1997 §6: weights of the 8 body characters for the check character.
ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# CNIPA application numbers: weights of the 12 digits (year, type, serial) for the check digit.
PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def organisation_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body."""
    if len(body) != 8:
        raise ValueError("an organisation-code body has 8 characters")
    # GB 11714-1997 §6: digits count as their value, letters A–Z as 10–35;
    # C9 = 11 − (Σ Ci·Wi mod 11), where 10 is written X and 11 is written 0.
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w
        for c, w in zip(body, ORGANISATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def organisation_code(rng: random.Random, *, issued_after_2015: bool) -> str:
    """A 9-character organisation code: ``MA…`` for codes issued with a USCC since late 2015,
    8 digits for older registrations."""
    if issued_after_2015:
        body = "MA" + "".join(rng.choice(ORGANISATION_CHARS) for _ in range(6))
    else:
        body = f"{rng.randrange(10_000_000, 80_000_000):08d}"
    return body + organisation_check(body)


def uscc(registration: str, region: str, organisation: str) -> str:
    """A unified social credit code from authority and type, region and organisation code."""
    # GB 32100-2015 §4: 1 authority + 1 type + 6 region + 9 organisation code + 1 check character.
    body = f"{registration}{region}{organisation}"
    return body + uscc_rules.check_character(body)


def resident_id(region: str, birth: dt.date, sequence: int) -> str:
    """A citizen identity number; the sequence's parity carries the sex (odd = male)."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + resident_id_rules.check_character(body)


def patent_check(digits: str) -> str:
    """The check digit after the dot of a 12-digit CNIPA application number."""
    if len(digits) != 12 or not digits.isdigit():
        raise ValueError("a patent application number has 12 digits")
    # CNIPA: Σ digit × weight mod 11 is the check digit, 10 written X.
    check = sum(int(d) * w for d, w in zip(digits, PATENT_WEIGHTS, strict=True)) % 11
    return "X" if check == 10 else str(check)


def patent_number(year: int, kind: int, serial: int) -> str:
    """``ZL`` + application year, patent type (1 invention, 2 utility model, 3 design), serial."""
    digits = f"{year:04d}{kind}{serial:07d}"
    return f"ZL{digits}.{patent_check(digits)}"
