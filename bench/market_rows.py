"""Millions of market-entity rows, fast and the same for the same seed, as COPY text.

The demo's generator (``gateway.demo.market_entities``) makes each entity in about 60 µs:
10 million would take ten minutes of one core. Here it makes a few thousand entities once, and
every row combines two of them — the entity (name, type, industry, capital, region, domicile,
authority) of one and the legal representative, date and status of another — under a credit
code of its own. Codes are unique without a set of those already issued: the organisation code
of row *i* is a fixed permutation of *i*, and the check characters (GB 11714, GB 32100) are
sums of per-character weights, added from tables made once.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from catalog import load_regions
from catalog import uscc as uscc_rules
from gateway.demo.identifiers import ORGANISATION_WEIGHTS
from gateway.demo.market_entities import MarketEntity, generate_entities
from gateway.demo.people import PersonFactory
from gateway.demo.places import provinces_places

#: The provinces whose leaf regions the rows are registered in.
PROVINCES = ("110000", "120000", "130000")
#: Demo entities per province the rows are made of (two per row: 2^12 × 2^12 combinations).
TEMPLATE_BITS = 12
# The parts of a row, each from one template (the entity's or the person's).
_NAME = ("name", "entityType")
_PERSON = ("legalRepName", "legalRepId")
_CAPITAL = ("registeredCapital",)
_DATE = ("establishedDate", "status")
_PLACE = ("industryCode", "regionCode", "address")
_PHONE = ("contactPhone",)
_AUTHORITY = ("registrationAuthority",)
#: The catalogue fields of a row, in COPY column order.
FIELDS = ("creditCode", *_NAME, *_PERSON, *_CAPITAL, *_DATE, *_PLACE, *_PHONE, *_AUTHORITY)
#: GB 32100-2015 appendix: registration authority 9 (market regulation), type 1 enterprise,
#: 2 individual business, 3 farmers' cooperative.
REGISTRATION_TYPES = {"个体工商户": "92", "农民专业合作社": "93"}
#: Rows drawn from one random stream: row *i* is the same whatever the number of rows.
CHUNK = 100_000
#: Changes whenever the same seed would give other rows, so a stored table is made again.
GENERATOR_VERSION = 1

_VALUE = {c: i for i, c in enumerate(uscc_rules.CHARSET)}
_W = uscc_rules.WEIGHTS
# GB 32100-2015: positions 9–17 (0-based 8–16) hold the organisation code; here its body is
# "MA" + six characters (codes issued since late 2015) or eight digits (older ones).
_MA_SPACE = 31**6
_DIGIT_FIRST, _DIGIT_SPACE = 10_000_000, 70_000_000
_HALF = 31**3


def _gb11714_value(c: str) -> int:
    # GB 11714-1997 §6: digits count as their value, letters A–Z as 10–35.
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


@dataclass(frozen=True, slots=True)
class _Piece:
    """Characters of an organisation-code body at fixed positions, with their weighted sums."""

    text: str
    uscc_sum: int
    organisation_sum: int


def _pieces(texts: Sequence[str], start: int) -> list[_Piece]:
    """``texts`` placed at body position ``start`` (0-based within the 8-character body)."""
    return [
        _Piece(
            text,
            sum(_VALUE[c] * _W[8 + start + i] for i, c in enumerate(text)),
            sum(_gb11714_value(c) * ORGANISATION_WEIGHTS[start + i] for i, c in enumerate(text)),
        )
        for text in texts
    ]


def _base31(width: int) -> list[str]:
    chars = uscc_rules.CHARSET
    out = [""]
    for _ in range(width):
        out = [prefix + c for prefix in out for c in chars]
    return out


def _multiplier(rng: random.Random, space: int) -> int:
    """A multiplier coprime to ``space``: ``i × m + b mod space`` is then a permutation."""
    while True:
        m = rng.randrange(space // 3, space)
        if math.gcd(m, space) == 1:
            return m


class CreditCodes:
    """The unique, valid credit code of row *i*, for any registration type and region."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}/credit-codes")  # noqa: S311 — reproducible bench data
        self._ma = (_multiplier(rng, _MA_SPACE), rng.randrange(_MA_SPACE))
        self._digits = (_multiplier(rng, _DIGIT_SPACE), rng.randrange(_DIGIT_SPACE))
        ma = _pieces(["MA"], 0)[0]
        thirds = _base31(3)
        self._ma_high = [
            _Piece(
                ma.text + p.text, ma.uscc_sum + p.uscc_sum, ma.organisation_sum + p.organisation_sum
            )
            for p in _pieces(thirds, 2)
        ]
        self._ma_low = _pieces(thirds, 5)
        fours = [f"{n:04d}" for n in range(10_000)]
        self._digit_high = _pieces(fours, 0)
        self._digit_low = _pieces(fours, 4)
        self._prefix: dict[str, int] = {}

    def code(self, row: int, registration: str, region: str, *, since_2015: bool) -> str:
        """The code of ``row``: ``registration`` (2 characters) + ``region`` + organisation code."""
        if since_2015:
            m, b = self._ma
            permuted = (row * m + b) % _MA_SPACE
            high, low = self._ma_high[permuted // _HALF], self._ma_low[permuted % _HALF]
        else:
            m, b = self._digits
            permuted = _DIGIT_FIRST + (row * m + b) % _DIGIT_SPACE
            high = self._digit_high[permuted // 10_000]
            low = self._digit_low[permuted % 10_000]
        # GB 11714-1997 §6: C9 = 11 − (Σ Ci·Wi mod 11), 10 written X and 11 written 0.
        check = 11 - (high.organisation_sum + low.organisation_sum) % 11
        organisation_check = "X" if check == 10 else "0" if check == 11 else str(check)
        head = registration + region
        prefix = self._prefix.get(head)
        if prefix is None:
            prefix = self._prefix[head] = sum(_VALUE[c] * w for c, w in zip(head, _W, strict=False))
        total = prefix + high.uscc_sum + low.uscc_sum + _VALUE[organisation_check] * _W[16]
        # GB 32100-2015 §5: the check character is charset[(31 − Σ mod 31) mod 31].
        body = f"{head}{high.text}{low.text}{organisation_check}"
        return body + uscc_rules.CHARSET[(31 - total % 31) % 31]


def _columns(record: dict[str, object], *names: str) -> str:
    """Values in COPY text format, tab-separated; the generated values hold no tab, newline or
    backslash, and a missing one is NULL."""
    return "\t".join("\\N" if record.get(n) is None else str(record[n]) for n in names)


class MarketRows:
    """Rows of market-entity-registration, the same for the same seed; row *i* never changes
    with the number of rows asked for."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        regions = load_regions()
        places = provinces_places(regions, list(PROVINCES))
        size = 1 << TEMPLATE_BITS
        templates: list[MarketEntity] = []
        for province in PROVINCES:
            rng = random.Random(f"{seed}/templates/{province}")  # noqa: S311
            others = [p.code for other in PROVINCES if other != province for p in places[other]]
            persons = PersonFactory(rng, province, [p.code for p in places[province]], others)
            templates += generate_entities(rng, places[province], size, persons)
        # The entity part and the person part of each template, as COPY text.
        self._entities = [
            (
                REGISTRATION_TYPES.get(e.record["entityType"], "91"),
                e.record["regionCode"],
                _columns(e.record, *_NAME),
                _columns(e.record, *_CAPITAL),
                _columns(e.record, *_PLACE),
                _columns(e.record, *_AUTHORITY),
            )
            for e in templates
        ]
        self._persons = [
            (
                _columns(e.record, *_PERSON),
                _columns(e.record, *_DATE),
                _columns(e.record, *_PHONE),
                e.credit_code[8:10] == "MA",
            )
            for e in templates
        ]
        self._codes = CreditCodes(seed)

    def lines(self, chunk: int, count: int = CHUNK) -> Iterator[str]:
        """The first ``count`` rows of chunk ``chunk`` (rows from ``chunk × CHUNK`` on) as COPY
        text lines in ``FIELDS`` order."""
        if not 0 < count <= CHUNK:
            raise ValueError(f"a chunk holds 1 to {CHUNK} rows")
        rng = random.Random(f"{self.seed}/rows/{chunk}")  # noqa: S311 — reproducible bench data
        pick = rng.randrange
        entities, persons, code = self._entities, self._persons, self._codes.code
        size = len(entities)
        first = chunk * CHUNK
        for row in range(first, first + count):
            registration, region, name_type, capital, place, authority = entities[pick(size)]
            rep, date_status, phone, since_2015 = persons[pick(size)]
            credit = code(row, registration, region, since_2015=since_2015)
            yield (
                f"{credit}\t{name_type}\t{rep}\t{capital}\t{date_status}\t"
                f"{place}\t{phone}\t{authority}\n"
            )
