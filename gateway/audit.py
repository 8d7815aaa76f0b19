"""The audit trail: one hash-chained record per exchange, committed before the response (DESIGN §8).

``hash = SHA-256(prev_hash ‖ canonical JSON of the record)``. The record is durable before the
caller sees any data: if it cannot be written, the exchange fails closed (503) and no data leaves.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from .canonical import canonical_json, sha256_hex
from .storage.tables import audit_records

GENESIS = "0" * 64
# One lock id for the whole chain: appenders on every replica take turns on PostgreSQL.
CHAIN_LOCK_KEY = 0x4A4A4A01


class AuditUnavailable(Exception):
    """The audit record could not be made durable."""


def chain_hash(prev_hash: str, body: str) -> str:
    return sha256_hex(prev_hash + body)


class AuditTrail:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._postgres = engine.dialect.name == "postgresql"

    def append(
        self, record: Mapping[str, Any], *, alongside: Callable[[Connection], Any] | None = None
    ) -> dict[str, Any]:
        """Append one record (without seq/prevHash/hash) and commit; returns the stored record.

        ``alongside`` runs in the same transaction first: a change and its audit record are
        committed together or not at all.
        """
        try:
            with (
                self._lock,
                self.engine.connect().execution_options(sqlite_immediate=True) as conn,
                conn.begin(),
            ):
                if self._postgres:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
                if alongside is not None:
                    alongside(conn)
                head = conn.execute(
                    select(audit_records.c.seq, audit_records.c.hash)
                    .order_by(audit_records.c.seq.desc())
                    .limit(1)
                ).first()
                seq = (head.seq + 1) if head else 1
                prev_hash = head.hash if head else GENESIS
                stored = dict(record) | {"seq": seq, "prevHash": prev_hash}
                body = canonical_json(stored)
                digest = chain_hash(prev_hash, body)
                conn.execute(insert(audit_records).values(**_columns(stored, body, digest)))
        except (AuditUnavailable, ValueError):
            raise
        except Exception as exc:  # any storage failure means the exchange cannot be accounted for
            raise AuditUnavailable(str(exc.__class__.__name__)) from exc
        return stored | {"hash": digest}


def _columns(stored: Mapping[str, Any], body: str, digest: str) -> dict[str, Any]:
    return {
        "seq": stored["seq"],
        "exchange_id": stored["exchangeId"],
        "kind": stored.get("kind", "exchange"),
        "recorded_at": dt.datetime.fromisoformat(stored["recordedAt"]),
        "client_id": stored.get("clientId"),
        "dataset": stored.get("dataset"),
        "purpose": stored.get("purpose"),
        "decision": stored["decision"],
        "rule_id": stored.get("ruleId"),
        "http_status": stored["httpStatus"],
        "trace_id": stored.get("traceId"),
        "body": body,
        "prev_hash": stored["prevHash"],
        "hash": digest,
    }
