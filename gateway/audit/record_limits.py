"""What a record may hold before it is batched: every text bounded and normalised, so that one
caller's oversized or malformed value is recorded cut with a marker and never fails a commit."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from gateway.storage.bounds import column_length
from gateway.storage.tables import audit_records

#: The record fields copied into searchable columns, and the column each one goes to.
COLUMN_OF = {
    "exchangeId": "exchange_id",
    "kind": "kind",
    "clientId": "client_id",
    "dataset": "dataset",
    "purpose": "purpose",
    "decision": "decision",
    "ruleId": "rule_id",
    "traceId": "trace_id",
}
#: The longest text any other value of a record keeps (the body is hashed and shown whole).
MAX_TEXT = 1000


def _column_bound(field: str) -> int:
    length = column_length(audit_records, COLUMN_OF[field])
    assert length is not None
    return length


BOUNDS = {field: _column_bound(field) for field in COLUMN_OF}
# Kept as they are: a tab or line break in an administrator's free text is harmless.
_KEPT_CONTROLS = frozenset("\t\n")


def bounded_text(value: str, limit: int) -> str:
    """``value`` fit for the trail: control characters and lone surrogates (which no database
    column and no UTF-8 encoder takes) become U+FFFD, and a text longer than ``limit`` is cut
    and ends with a marker that tells its original length, e.g. ``…[65 chars]``."""
    if not value.isprintable():
        value = "".join(
            "\ufffd"
            if ch not in _KEPT_CONTROLS and unicodedata.category(ch) in ("Cc", "Cs")
            else ch
            for ch in value
        )
    if len(value) <= limit:
        return value
    marker = f"…[{len(value)} chars]"
    return value[: max(0, limit - len(marker))] + marker[:limit]


def bounded_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with every text bounded and normalised before it is batched: a searchable
    value to its column's length, any other to MAX_TEXT. One caller's oversized or malformed
    value (an unknown purpose, a dataset id in a URL, a regional issuer's client id) is recorded
    as such, cut with a marker, and can never make the commit of a batch fail."""
    return {
        bounded_text(str(name), MAX_TEXT): (
            bounded_text(value, BOUNDS[name])
            if name in BOUNDS and isinstance(value, str)
            else _bounded_value(value)
        )
        for name, value in record.items()
    }


def _bounded_value(value: Any) -> Any:
    if isinstance(value, str):
        return bounded_text(value, MAX_TEXT)
    if isinstance(value, Mapping):
        return {bounded_text(str(k), MAX_TEXT): _bounded_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded_value(v) for v in value]
    return value
