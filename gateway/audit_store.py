"""Reading the audit trail: search, one record, verification and export bundles."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, or_, select

from .audit import GENESIS
from .audit_verify import COPIES, Row, VerifyResult, verify_chain
from .storage.tables import audit_checkpoints, audit_records

BATCH = 2000
BUNDLE_FORMAT = "jjj-audit-bundle"


@dataclass(frozen=True, slots=True)
class SearchFilters:
    client_id: str | None = None
    dataset: str | None = None
    decision: str | None = None
    purpose: str | None = None
    kind: str | None = None
    trace_id: str | None = None
    regions: frozenset[str] | None = None  # leaf regions; a record matches if it touched any
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def record_json(row: Any) -> dict[str, Any]:
    """A stored record as the API shows it: the hashed body plus its hash."""
    body: dict[str, Any] = json.loads(row.body)
    return body | {"hash": row.hash}


class AuditReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(
        self, filters: SearchFilters, *, limit: int, before_seq: int | None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Newest first; returns the page and the seq to continue before (None at the end)."""
        r = audit_records.c
        conditions = []
        for column, value in (
            (r.client_id, filters.client_id),
            (r.dataset, filters.dataset),
            (r.decision, filters.decision),
            (r.purpose, filters.purpose),
            (r.kind, filters.kind),
            (r.trace_id, filters.trace_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if filters.regions is not None:
            conditions.append(
                or_(*(r.regions.like(f"% {code} %") for code in sorted(filters.regions)))
            )
        if filters.since is not None:
            conditions.append(r.recorded_at >= filters.since)
        if filters.until is not None:
            conditions.append(r.recorded_at < filters.until)
        if before_seq is not None:
            conditions.append(r.seq < before_seq)
        query = select(audit_records).where(*conditions).order_by(r.seq.desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        page = rows[:limit]
        more = len(rows) > limit
        return [record_json(row) for row in page], (int(page[-1].seq) if more and page else None)

    def get(self, exchange_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(audit_records).where(audit_records.c.exchange_id == exchange_id)
            ).first()
        return record_json(row) if row else None

    def rows(self, first: int = 1, last: int | None = None) -> Iterator[Row]:
        """Stored records from seq ``first`` in order, read in batches."""
        after = first - 1
        while True:
            query = select(audit_records).where(audit_records.c.seq > after)
            if last is not None:
                query = query.where(audit_records.c.seq <= last)
            with self.engine.connect() as conn:
                batch = conn.execute(query.order_by(audit_records.c.seq).limit(BATCH)).all()
            for row in batch:
                yield Row(
                    int(row.seq),
                    row.prev_hash,
                    row.hash,
                    row.body,
                    {column: getattr(row, column) for column in COPIES},
                )
            if len(batch) < BATCH:
                return
            after = int(batch[-1].seq)

    def checkpoints(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.seq)).all()
        return [
            {
                "seq": int(r.seq),
                "hash": r.hash,
                "signedAt": r.signed_at,
                "kid": r.kid,
                "signature": r.signature,
            }
            for r in rows
        ]

    def verify(
        self, keys: Mapping[str, Mapping[str, Any]], *, from_checkpoint: bool = False
    ) -> VerifyResult:
        """The whole chain, or from the newest checkpoint (whose signature anchors the start)."""
        marks = self.checkpoints()
        start_seq, start_hash = 1, GENESIS
        if from_checkpoint and marks:
            anchor = marks[-1]
            start_seq, start_hash = int(anchor["seq"]) + 1, str(anchor["hash"])
            # The anchor's own record must still be there and match it.
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(audit_records.c.hash).where(audit_records.c.seq == anchor["seq"])
                ).first()
            if row is None or row.hash != anchor["hash"]:
                return VerifyResult(
                    False,
                    0,
                    int(anchor["seq"]),
                    f"seq {anchor['seq']} does not match its signed checkpoint",
                )
        return verify_chain(
            self.rows(start_seq), marks, keys, start_seq=start_seq, start_hash=start_hash
        )

    def seq_range(
        self, since: dt.datetime | None, until: dt.datetime | None
    ) -> tuple[int, int] | None:
        r = audit_records.c
        query = select(func.min(r.seq), func.max(r.seq))
        if since is not None:
            query = query.where(r.recorded_at >= since)
        if until is not None:
            query = query.where(r.recorded_at < until)
        with self.engine.connect() as conn:
            low, high = conn.execute(query).one()
        return (int(low), int(high)) if low is not None else None

    def prev_hash_of(self, seq: int) -> str:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(audit_records.c.prev_hash).where(audit_records.c.seq == seq)
            ).first()
        return str(row.prev_hash) if row else GENESIS


# -- bundles -------------------------------------------------------------------------------------


def bundle_lines(
    reader: AuditReader,
    keys: Iterable[Mapping[str, Any]],
    *,
    first: int,
    last: int,
    issuer: str,
    fmt: str,
) -> Iterator[str]:
    """An export: header, public keys, the records from first to last, and the checkpoints
    that fall in the range (or anchor its start)."""
    header = {
        "type": "header",
        "format": BUNDLE_FORMAT,
        "version": 1,
        "generatedAt": dt.datetime.now(dt.UTC).isoformat(),
        "issuer": issuer,
        "fromSeq": first,
        "toSeq": last,
        "anchor": reader.prev_hash_of(first),
    }
    marks = [m for m in reader.checkpoints() if first - 1 <= m["seq"] <= last]
    entries: Iterator[dict[str, Any]] = _entries(header, keys, reader, first, last, marks)
    if fmt == "jsonl":
        for entry in entries:
            yield json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        return
    yield _csv_line(["type", "seq", "prev_hash", "hash", "body", "kid", "signed_at", "signature"])
    for entry in entries:
        kind = entry["type"]
        if kind == "record":
            yield _csv_line(
                [
                    "record",
                    entry["seq"],
                    entry["prevHash"],
                    entry["hash"],
                    entry["body"],
                    "",
                    "",
                    "",
                ]
            )
        elif kind == "checkpoint":
            yield _csv_line(
                [
                    "checkpoint",
                    entry["seq"],
                    "",
                    entry["hash"],
                    "",
                    entry["kid"],
                    entry["signedAt"],
                    entry["signature"],
                ]
            )
        else:
            yield _csv_line([kind, "", "", "", json.dumps(entry, ensure_ascii=False), "", "", ""])


def _entries(
    header: dict[str, Any],
    keys: Iterable[Mapping[str, Any]],
    reader: AuditReader,
    first: int,
    last: int,
    marks: list[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    yield header
    for key in keys:
        yield {"type": "key", "jwk": dict(key)}
    for row in reader.rows(first, last):
        yield {
            "type": "record",
            "seq": row.seq,
            "prevHash": row.prev_hash,
            "hash": row.hash,
            "body": row.body,
        }
    for mark in marks:
        yield {"type": "checkpoint"} | mark


def _csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def read_bundle(
    text: str,
) -> tuple[dict[str, Any], list[Row], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """(header, records, checkpoints, keys) of a JSONL or CSV bundle; ValueError if malformed."""
    entries: list[dict[str, Any]] = []
    if text.startswith("type,"):
        for values in csv.DictReader(io.StringIO(text)):
            kind = values["type"]
            if kind == "record":
                entries.append(
                    {
                        "type": "record",
                        "seq": int(values["seq"]),
                        "prevHash": values["prev_hash"],
                        "hash": values["hash"],
                        "body": values["body"],
                    }
                )
            elif kind == "checkpoint":
                entries.append(
                    {
                        "type": "checkpoint",
                        "seq": int(values["seq"]),
                        "hash": values["hash"],
                        "kid": values["kid"],
                        "signedAt": values["signed_at"],
                        "signature": values["signature"],
                    }
                )
            else:
                entries.append(json.loads(values["body"]))
    else:
        entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    if (
        not entries
        or entries[0].get("type") != "header"
        or entries[0].get("format") != BUNDLE_FORMAT
    ):
        raise ValueError("not an audit bundle of this gateway (no header line)")
    header = entries[0]
    rows = [
        Row(int(e["seq"]), str(e["prevHash"]), str(e["hash"]), str(e["body"]), {})
        for e in entries
        if e.get("type") == "record"
    ]
    marks = [
        {k: v for k, v in e.items() if k != "type"}
        for e in entries
        if e.get("type") == "checkpoint"
    ]
    keys = {str(e["jwk"]["kid"]): dict(e["jwk"]) for e in entries if e.get("type") == "key"}
    return header, rows, marks, keys


def verify_bundle(
    text: str, pinned: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[VerifyResult, dict[str, Any]]:
    """Offline verification of an export; ``pinned`` keys replace the bundle's own."""
    header, rows, marks, keys = read_bundle(text)
    result = verify_chain(
        rows,
        marks,
        pinned or keys,
        start_seq=int(header["fromSeq"]),
        start_hash=str(header["anchor"]),
    )
    return result, header
