"""The string formats catalogue schemas may use, checked for records and filters alike.

A format check that fails raises :class:`FormatProblem` carrying the reason, so that an error
message can say *why* a value is not, say, a resident ID (length, date of birth, check character).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable

import jsonschema

from catalog import resident_id, uscc

# GB/T 2260: the province-level codes (first two digits) of mainland China, Taiwan, Hong Kong
# and Macao.
PROVINCE_PREFIXES = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82"]
)

#: What each format is called in an error message ("... is not a valid <name>").
FORMAT_NAMES: dict[str, str] = {
    "uscc": "unified social credit code",
    "resident-id": "resident ID",
    "region-code": "region code",
    "date": "date",
    "date-time": "date-time",
    "year-month": "year-month",
}

#: Formats whose values sort in time order as plain strings (so gte/lte filters make sense).
ORDERED_FORMATS = frozenset({"date", "date-time", "year-month"})


class FormatProblem(ValueError):
    """Why a string is not in its format; the text goes into the error message."""


def uscc_problem(code: str) -> str | None:
    """The reason ``code`` is not a unified social credit code, or None if it is one."""
    if len(code) != uscc.LENGTH:
        return f"GB 32100-2015: {uscc.LENGTH} characters, not {len(code)}"
    # GB 32100-2015 §4: only the 31 characters 0-9 and A-Y without I, O, S, V, Z are used.
    bad = sorted({c for c in code if c not in uscc.CHARSET})
    if bad:
        return f"GB 32100-2015: character {bad[0]!r} is not allowed"
    # GB 32100-2015 §4.3: positions 3–8 are the region code of the registration authority.
    if not code[2:8].isdigit():
        return "GB 32100-2015: positions 3–8 must be a six-digit region code"
    if not uscc.is_valid(code):
        return "GB 32100-2015 check character"
    return None


def resident_id_problem(code: str) -> str | None:
    """The reason ``code`` is not a citizen identity number, or None if it is one."""
    if len(code) != resident_id.LENGTH:
        return f"GB 11643-1999: {resident_id.LENGTH} characters, not {len(code)}"
    # GB 11643-1999 §4: seventeen digits followed by a check character 0-9 or X.
    if not code[:17].isdigit() or code[17] not in resident_id.CHECK:
        return "GB 11643-1999: seventeen digits and a check character 0-9 or X"
    if code[:2] == "00":
        return "GB 11643-1999: positions 1–6 must be a region code"
    if resident_id.birth_date(code) is None:
        return "GB 11643-1999: positions 7–14 must be a real date of birth"
    if not resident_id.is_valid(code):
        return "GB 11643-1999 check character"
    return None


def region_code_problem(code: str) -> str | None:
    """The reason ``code`` is not a plausible GB/T 2260 code, or None if it is one."""
    # GB/T 2260: six digits — province (2), city (2), county (2).
    if len(code) != 6 or not code.isdigit():
        return "GB/T 2260: six digits"
    if code[:2] not in PROVINCE_PREFIXES:
        return f"GB/T 2260: {code[:2]!r} is not a province code"
    return None


_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
# RFC 3339 §5.6: date-time = full-date "T" full-time; full-time = partial-time time-offset.
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$",
    re.ASCII,
)
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def date_problem(text: str) -> str | None:
    """The reason ``text`` is not an RFC 3339 full-date (YYYY-MM-DD, a real day), or None."""
    match = _FULL_DATE.match(text)
    if match is None:
        return "RFC 3339 full-date YYYY-MM-DD"
    try:
        dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return "no such day"
    return None


def date_time_problem(text: str) -> str | None:
    """The reason ``text`` is not an RFC 3339 date-time with an offset, or None."""
    match = _DATE_TIME.match(text)
    if match is None:
        return "RFC 3339 date-time YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)"
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        dt.date(year, month, day)
    except ValueError:
        return "no such day"
    if hour > 23 or minute > 59 or second > 60:
        return "no such time of day"
    offset_minutes = 0
    if match.group(9):
        off_hour, off_minute = int(match.group(10)), int(match.group(11))
        if off_hour > 23 or off_minute > 59:
            return "no such time offset"
        offset_minutes = (off_hour * 60 + off_minute) * (1 if match.group(9) == "+" else -1)
    # RFC 3339 §5.7: a leap second (60) can only be the last second of a UTC minute 23:59.
    if second == 60:
        utc_minute = (hour * 60 + minute - offset_minutes) % (24 * 60)
        if utc_minute != 23 * 60 + 59:
            return "a leap second is only 23:59:60 UTC"
    return None


def year_month_problem(text: str) -> str | None:
    """The reason ``text`` is not a year-month YYYY-MM (RFC 3339 date-fullyear "-" date-month)."""
    match = _YEAR_MONTH.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return "YYYY-MM"
    return None


_PROBLEMS: dict[str, Callable[[str], str | None]] = {
    "uscc": uscc_problem,
    "resident-id": resident_id_problem,
    "region-code": region_code_problem,
    "date": date_problem,
    "date-time": date_time_problem,
    "year-month": year_month_problem,
}


def format_problem(format_name: str, value: object) -> str | None:
    """Why ``value`` fails ``format_name``; None when it conforms or the format does not apply."""
    check = _PROBLEMS.get(format_name)
    # JSON Schema 2020-12 §7.1: formats constrain strings only; other types pass.
    if check is None or not isinstance(value, str):
        return None
    return check(value)


def _checker(format_name: str) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        problem = format_problem(format_name, value)
        if problem is not None:
            raise FormatProblem(problem)
        return True

    return check


def _build_checker() -> jsonschema.FormatChecker:
    # Start empty: jsonschema's stock checkers silently skip date-time when optional packages are
    # missing, and a format that is only sometimes checked is worse than one that always is.
    checker = jsonschema.FormatChecker(formats=())
    for name in _PROBLEMS:
        checker.checks(name, raises=FormatProblem)(_checker(name))
    return checker


#: The format checker every catalogue validator uses (records, filters, the meta-schema).
FORMAT_CHECKER = _build_checker()

#: The formats a record schema may name.
KNOWN_FORMATS = frozenset(_PROBLEMS)


#: Formats whose values repeat across records (dates, region codes, months): their verdicts are
#: kept, up to this many values per format, so each distinct value is parsed once per process.
_CACHED = frozenset({"date", "region-code", "year-month"})
_CACHE_SIZE = 16384


def _predicate(name: str) -> Callable[[str], bool]:
    check = _PROBLEMS[name]

    def conforms(value: str) -> bool:
        return check(value) is None

    return functools.lru_cache(maxsize=_CACHE_SIZE)(conforms) if name in _CACHED else conforms


#: The same formats as predicates (value → bool), for the compiled fast path of record
#: validation; the identifier checks use their direct, allocation-free forms.
FORMAT_PREDICATES: dict[str, Callable[[str], bool]] = {
    name: _predicate(name) for name in _PROBLEMS
} | {"uscc": uscc.is_valid, "resident-id": resident_id.is_valid}
