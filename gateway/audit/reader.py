"""Reading the audit trail: search, one record, the records and checkpoints in order, and
verification of the stored chain."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, or_, select

from gateway.audit.chain import GENESIS, checkpoint_json
from gateway.audit.verify import COPIES, Row, VerifyResult, verify_chain
from gateway.storage.bounds import can_hold
from gateway.storage.tables import audit_checkpoints, audit_records

BATCH = 2000


# The columns verification compares with the hashed record.
CHECKED_COLUMNS = (*COPIES, "recorded_at", "regions")


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
                if not can_hold(audit_records, column.name, value):
                    return [], None  # no record holds it (and PostgreSQL refuses a NUL)
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
        if not can_hold(audit_records, "exchange_id", exchange_id):
            return None  # asking PostgreSQL for a NUL would fail, as if the database were down
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
                    {column: getattr(row, column) for column in CHECKED_COLUMNS},
                )
            if len(batch) < BATCH:
                return
            after = int(batch[-1].seq)

    def checkpoints(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.seq)).all()
        return [checkpoint_json(row._mapping) for row in rows]

    def verify(
        self,
        keys: Mapping[str, Mapping[str, Any]],
        *,
        from_checkpoint: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> VerifyResult:
        """The whole chain, or from the newest checkpoint (whose signature anchors the start).

        The records appended since the newest checkpoint are not signed yet: the answer says
        how far the chain is anchored (``anchoredThrough``) and whether its head is."""
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
            self.rows(start_seq),
            marks,
            keys,
            start_seq=start_seq,
            start_hash=start_hash,
            progress=progress,
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

    def last_seq_before(self, until: dt.datetime | None) -> int:
        """The newest seq recorded before ``until`` (0 for none)."""
        query = select(func.max(audit_records.c.seq))
        if until is not None:
            query = query.where(audit_records.c.recorded_at < until)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def anchor_of(self, seq: int) -> str:
        """The hash the record at ``seq`` links to: its own prevHash, or else the hash of the
        record before (GENESIS before the first)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(audit_records.c.prev_hash).where(audit_records.c.seq == seq)
            ).first()
            if row is not None:
                return str(row.prev_hash)
            before = conn.execute(
                select(audit_records.c.hash).where(audit_records.c.seq == seq - 1)
            ).scalar()
        return str(before) if before is not None else GENESIS
