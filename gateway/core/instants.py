"""Instants: every time the gateway stores, compares or emits is one UTC instant, written as an
RFC 3339 date-time with an offset.

What people and programs send is read once, at the edge: a date-time with an offset (``Z``,
``+08:00``) is that instant; a date-time without one is a wall-clock time in the zone the
deployment declares (``GATEWAY_TIMEZONE``, default Asia/Shanghai); a bare date is that whole day
in that zone: it starts a range at the start of the day and, ending a range, includes the day.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"

# RFC 3339 §5.6 full-date, or full-date "T" time with an optional offset (seconds optional).
_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?"
)
_FULL_DATE = 10  # len("2026-12-03")

EXAMPLE = "2026-12-03T08:00:00+08:00"
#: How a time the API takes is read, as /openapi.json tells it.
LOCAL_TIME = (
    "RFC 3339 date-time; one without an offset, or a bare date (a whole day), is read in the "
    f"deployment's time zone (GATEWAY_TIMEZONE, default {DEFAULT_ZONE})."
)


class InstantError(ValueError):
    """A text that names no instant."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name (e.g. Asia/Shanghai)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: give an IANA zone name such as {DEFAULT_ZONE}"
        ) from None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """The same instant in UTC. A naive datetime names no instant and is refused: the edge that
    read it must have given it a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a date-time without a time zone names no instant")
    return value.astimezone(dt.UTC)


def rfc3339(value: dt.datetime | None) -> str | None:
    """How the gateway writes an instant: RFC 3339 in UTC, with its offset."""
    return None if value is None else utc(value).isoformat()


def parse_instant(text: str, local: dt.tzinfo, *, end: bool = False) -> dt.datetime:
    """The UTC instant a text names; date-times without an offset and bare dates are read in
    ``local``. With ``end`` (the exclusive end of a range) a bare date means the start of the
    next day, so that the named day is inside the range."""
    if not isinstance(text, str) or not _SHAPE.fullmatch(text):
        raise InstantError(
            f"{text!r} is not an RFC 3339 date-time (e.g. {EXAMPLE}) or a date (2026-12-03)"
        )
    try:
        if len(text) == _FULL_DATE:
            day = dt.date.fromisoformat(text)
            if end:
                day += dt.timedelta(days=1)
            moment = dt.datetime.combine(day, dt.time(), tzinfo=local)
        else:
            moment = dt.datetime.fromisoformat(text.upper())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=local)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise InstantError(f"{text!r} is not a valid date or time of day") from None


__all__ = [
    "DEFAULT_ZONE",
    "InstantError",
    "parse_instant",
    "rfc3339",
    "utc",
    "utc_now",
    "zone",
]
