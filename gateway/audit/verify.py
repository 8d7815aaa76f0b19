"""Verification of the audit chain: the same check online (from the database) and offline
(from an exported bundle). It names the first broken sequence number and why."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.audit import signing_key as audit_keys
from gateway.audit.chain import GENESIS, chain_hash, checkpoint_payload, regions_column

# The row columns that are copies of body fields, checked against the body.
COPIES = {
    "exchange_id": "exchangeId",
    "client_id": "clientId",
    "dataset": "dataset",
    "purpose": "purpose",
    "decision": "decision",
    "rule_id": "ruleId",
    "http_status": "httpStatus",
    "trace_id": "traceId",
    "kind": "kind",
}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    valid: bool
    checked: int
    first_broken_seq: int | None
    reason: str
    last_seq: int | None = None
    checkpoints_checked: int = 0
    #: The newest seq a signed checkpoint vouches for (None: no record is anchored yet) …
    anchored_through: int | None = None
    #: … when that checkpoint was signed …
    anchored_at: str | None = None
    #: … and whether it covers the last record (an empty chain has nothing to anchor).
    head_anchored: bool = True

    @property
    def status(self) -> str:
        """valid; broken (a seq is named); or unanchored (intact, but no signature over the end)."""
        if self.valid:
            return "valid"
        return "broken" if self.first_broken_seq is not None else "unanchored"

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "status": self.status,
            "checked": self.checked,
            "firstBrokenSeq": self.first_broken_seq,
            "reason": self.reason,
            "lastSeq": self.last_seq,
            "checkpointsChecked": self.checkpoints_checked,
            "anchoredThrough": self.anchored_through,
            "anchoredAt": self.anchored_at,
            "headAnchored": self.head_anchored,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """One stored record as the verifier sees it."""

    seq: int
    prev_hash: str
    hash: str
    body: str
    copies: Mapping[str, Any]


def verify_chain(
    rows: Iterable[Row],
    checkpoints: Iterable[Mapping[str, Any]],
    keys: Mapping[str, Mapping[str, Any]],
    *,
    start_seq: int = 1,
    start_hash: str = GENESIS,
    end_seq: int | None = None,
    require_anchored_head: bool = False,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Walk the records from ``start_seq`` (whose predecessor hashed to ``start_hash``).

    With ``end_seq`` the records must run exactly to it. With ``require_anchored_head`` (an
    export) the walk is valid only when a signed checkpoint covers its last record: without one,
    whoever holds the records could cut the tail or rewrite a record and every later hash.
    """
    marks = sorted(checkpoints, key=lambda c: int(c["seq"]))
    # Every checkpoint must carry a valid signature by a known key.
    for mark in marks:
        key = keys.get(str(mark.get("kid")))
        payload = checkpoint_payload(int(mark["seq"]), str(mark["hash"]), str(mark["signedAt"]))
        if key is None or not audit_keys.verify(dict(key), payload, str(mark["signature"])):
            return VerifyResult(
                False,
                0,
                int(mark["seq"]),
                f"the checkpoint at seq {mark['seq']} has no valid signature",
            )
    signed = {int(m["seq"]): m for m in marks}
    count = len(marks)
    anchor: Mapping[str, Any] | None = None
    if start_seq - 1 in signed:  # the start's predecessor is signed: the anchor must match it
        anchor = signed[start_seq - 1]
        if str(anchor["hash"]) != start_hash:
            return VerifyResult(
                False,
                0,
                start_seq - 1,
                f"the chain's starting point does not match the signed checkpoint at seq "
                f"{start_seq - 1}",
                checkpoints_checked=count,
            )
    expected_seq, prev_hash, checked, last = start_seq, start_hash, 0, None

    def broken(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, checked, seq, reason, last, count, *_anchored(anchor, last))

    for row in rows:
        if end_seq is not None and row.seq > end_seq:
            return broken(row.seq, f"seq {row.seq} lies beyond the last seq {end_seq}")
        problem = _check_row(row, expected_seq, prev_hash)
        if problem is not None:
            return broken(*problem)
        covering = signed.get(row.seq)
        if covering is not None:
            if str(covering["hash"]) != row.hash:
                return broken(row.seq, f"seq {row.seq} does not match its signed checkpoint")
            anchor = covering
        checked += 1
        last = row.seq
        prev_hash = row.hash
        expected_seq = row.seq + 1
        if progress is not None:
            progress(checked)
    if end_seq is not None and expected_seq <= end_seq:
        return broken(
            expected_seq,
            f"records from seq {expected_seq} are missing: the chain should run to seq {end_seq}",
        )
    beyond = [seq for seq in signed if seq >= start_seq and (last is None or seq > last)]
    if beyond:
        return broken(
            expected_seq,
            f"records from seq {expected_seq} are missing: a signed checkpoint "
            f"covers seq {max(beyond)}",
        )
    through, at, head_anchored = _anchored(anchor, last)
    if require_anchored_head and not head_anchored:
        return VerifyResult(
            False,
            checked,
            None,
            f"unanchored: no signed checkpoint covers the last record (seq {last}); "
            + (
                f"only seq {start_seq}..{through} are vouched for"
                if through is not None and through >= start_seq
                else "no record is vouched for"
            ),
            last,
            count,
            through,
            at,
            head_anchored,
        )
    if last is None:
        reason = "the chain holds no records in this range"
    elif head_anchored:
        reason = "the chain is intact and signed up to its last record"
    else:
        reason = (
            f"the chain is intact; seq {(through or start_seq - 1) + 1}..{last} are not yet "
            "covered by a signed checkpoint"
        )
    return VerifyResult(True, checked, None, reason, last, count, through, at, head_anchored)


def _anchored(
    anchor: Mapping[str, Any] | None, last: int | None
) -> tuple[int | None, str | None, bool]:
    """(anchored through, signed at, whether the last record is covered)."""
    through = int(anchor["seq"]) if anchor is not None else None
    at = str(anchor["signedAt"]) if anchor is not None else None
    return through, at, last is None or through == last


def _check_row(row: Row, expected_seq: int, prev_hash: str) -> tuple[int, str] | None:
    if row.seq < expected_seq:
        return row.seq, f"seq {row.seq} appears again or out of order (expected {expected_seq})"
    if row.seq > expected_seq:
        return expected_seq, f"seq {expected_seq} is missing (the next record is seq {row.seq})"
    try:
        body = json.loads(row.body)
    except ValueError:
        return row.seq, f"seq {row.seq} does not hold a JSON record"
    if not isinstance(body, dict) or body.get("seq") != row.seq:
        return row.seq, f"seq {row.seq} holds the record of another position"
    if row.prev_hash != prev_hash or body.get("prevHash") != prev_hash:
        return row.seq, f"seq {row.seq} does not link to the record before it"
    if chain_hash(prev_hash, row.body) != row.hash:
        return row.seq, f"seq {row.seq} was altered: its hash does not match its content"
    for column, name in COPIES.items():
        if column in row.copies and row.copies[column] != body.get(name):
            return row.seq, f"seq {row.seq}: column {column} differs from the hashed record"
    # Search and export ranges select by this column: moved in time, a record would drop out
    # of the ranges it belongs to while its hash still matched.
    if "recorded_at" in row.copies and row.copies["recorded_at"] != _instant(
        body.get("recordedAt")
    ):
        return row.seq, f"seq {row.seq}: column recorded_at differs from the hashed record"
    # Region search selects by this column: emptied, a record would hide from "who saw data of
    # this region" while its hash still matched.
    if "regions" in row.copies and row.copies["regions"] != regions_column(body):
        return row.seq, f"seq {row.seq}: column regions differs from the hashed record"
    return None


def _instant(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
