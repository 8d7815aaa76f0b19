"""Records as RFC 4180 CSV (``text/csv; header=present``, RFC 7111 media type): a header row of
the fields in order, then one row per record, CRLF line ends, UTF-8.

What a spreadsheet would run as a formula (a text starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return) is sent with a leading apostrophe (OWASP CSV injection); numbers are sent as
numbers, null as an empty cell, lists and objects as their JSON text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gateway.core.jsonio import dumps

MEDIA_TYPE = "text/csv"
CONTENT_TYPE = "text/csv; charset=utf-8; header=present"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return f"'{value}" if value.startswith(_FORMULA_STARTS) else value
    return dumps(value).decode("utf-8")


def render(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    """The CSV text of ``records``, one column per name in ``columns`` (a missing field is an
    empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(name)) for name in columns])
    return out.getvalue().encode("utf-8")
