"""Verification of the audit chain: the same check online (from the database) and offline
(from an exported bundle). It names the first broken sequence number and why."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import audit_keys
from .audit import GENESIS, chain_hash, checkpoint_payload

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

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "checked": self.checked,
            "firstBrokenSeq": self.first_broken_seq,
            "reason": self.reason,
            "lastSeq": self.last_seq,
            "checkpointsChecked": self.checkpoints_checked,
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
) -> VerifyResult:
    """Walk the records from ``start_seq`` (whose predecessor hashed to ``start_hash``)."""
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
    wanted = {int(m["seq"]): str(m["hash"]) for m in marks if int(m["seq"]) >= start_seq}
    expected_seq, prev_hash, checked, last = start_seq, start_hash, 0, None
    for row in rows:
        problem = _check_row(row, expected_seq, prev_hash)
        if problem is not None:
            return VerifyResult(False, checked, problem[0], problem[1], last, len(marks))
        if row.seq in wanted and wanted[row.seq] != row.hash:
            return VerifyResult(
                False,
                checked,
                row.seq,
                f"seq {row.seq} does not match its signed checkpoint",
                last,
                len(marks),
            )
        checked += 1
        last = row.seq
        prev_hash = row.hash
        expected_seq = row.seq + 1
    beyond = [seq for seq in wanted if last is None or seq > last]
    if beyond:
        missing_from = (last or start_seq - 1) + 1
        return VerifyResult(
            False,
            checked,
            missing_from,
            f"records from seq {missing_from} are missing: a signed checkpoint "
            f"covers seq {max(beyond)}",
            last,
            len(marks),
        )
    return VerifyResult(True, checked, None, "the chain is intact", last, len(marks))


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
    return None
