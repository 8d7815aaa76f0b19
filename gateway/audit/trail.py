"""The audit trail: one hash-chained record per exchange and per administrative action,
committed before the response (docs/auditors-guide.md).

``hash = SHA-256(prev_hash ‖ canonical JSON of the record)``. The record is durable before the
caller sees any data: if it cannot be written, the exchange fails closed (503) and no data
leaves. Every N records or T seconds the head of the chain is signed (Ed25519), so that removing
the newest records, too, is detectable.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy import exc as sa_exc

from adapters.forks import reset_after_fork
from gateway.audit.chain import GENESIS, checkpoint_json, checkpoint_payload, linked
from gateway.audit.group_commit import GroupWriter
from gateway.audit.record_limits import bounded_record
from gateway.audit.signing_key import AuditSigner
from gateway.core.settings import Settings
from gateway.storage.driver_insert import DriverInsert
from gateway.storage.tables import audit_checkpoints, audit_records

log = logging.getLogger(__name__)

# One lock id for the whole chain: appenders on every replica take turns on PostgreSQL.
CHAIN_LOCK_KEY = 0x4A4A4A01

HEAD_SQL = "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
# What the readiness probe writes, and rolls back: seq 0 is never part of the chain.
PROBE_ROW = {
    "seq": 0,
    "exchange_id": "readiness-probe",
    "kind": "probe",
    "recorded_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    "decision": "allow",
    "http_status": 200,
    "body": "{}",
    "prev_hash": GENESIS,
    "hash": GENESIS,
}


#: The exchange id whose record this context (a request, a CLI command) last tried to append.
_last_attempted: ContextVar[str | None] = ContextVar("audit_last_attempted", default=None)


class AuditUnavailable(Exception):
    """The audit record could not be made durable."""


class AuditTrail:
    def __init__(
        self,
        engine: Engine,
        signer: AuditSigner | None = None,
        *,
        checkpoint_every: int = 1000,
        checkpoint_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self._postgres = engine.dialect.name == "postgresql"
        self._last_checkpoint = time.monotonic()
        # Every row of the chain and of its checkpoints is written by these two statements, on
        # the pooled DBAPI connection (group commit) or through a SQLAlchemy connection.
        self._insert_record = DriverInsert(audit_records, engine.dialect)
        self._insert_checkpoint = DriverInsert(audit_checkpoints, engine.dialect)
        self._turn_file = writer_turn_file(engine)
        self._forget_writer()
        reset_after_fork(self._forget_writer)

    def _forget_writer(self) -> None:
        # A forked child has no writer thread, and no thread of its holds the chain lock.
        self._lock = threading.Lock()
        self._writer: GroupWriter | None = None

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """Take turns with the other processes that append to this SQLite file.

        SQLite's own busy handler polls with sleeps of up to 100 ms, so a process that keeps
        committing can starve another one for seconds; a blocking ``flock`` hands the write lock
        over as soon as it is released. PostgreSQL queues appenders on an advisory lock instead.
        """
        if self._turn_file is None:
            yield
            return
        fd = os.open(self._turn_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def record(self, record: Mapping[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
        """Append an exchange's record and return once it is committed.

        Records arriving while one batch commits are committed together in the next (group
        commit): one transaction and one disk flush for many exchanges, and still no answer
        before its own record is durable.
        """
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = GroupWriter(self.commit_batch)
        _last_attempted.set(record.get("exchangeId"))
        try:
            return self._writer.submit(bounded_record(record), timeout)
        except FutureTimeout:
            raise AuditUnavailable("the audit trail did not commit in time") from None

    @staticmethod
    def accounted_for(exchange_id: str) -> bool:
        """Whether this context has already tried to record the exchange: it is in the chain,
        or its answer is the fail-closed one that says it could not be."""
        return _last_attempted.get() == exchange_id

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
        self._writer = None

    def append_batch(self, records: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Append records in order in one transaction; all or none are committed.

        Every exchange passes through here, so the few statements run on the pooled DBAPI
        connection itself: SQLAlchemy's per-statement machinery cost more CPU than the
        statements (0.35 -> 0.14 ms per batch on SQLite).
        """
        try:
            with self._writer_turn():
                raw = self.engine.raw_connection()
                try:
                    stored_all = self._append_raw(raw, records)
                except BaseException:
                    self._rollback(raw)
                    raise
                finally:
                    raw.close()  # back to the pool
        except Exception as exc:  # nothing of the batch is committed: every exchange fails closed
            raise AuditUnavailable(type(exc).__name__) from exc
        return stored_all

    def commit_batch(
        self, records: list[Mapping[str, Any]]
    ) -> list[dict[str, Any] | AuditUnavailable]:
        """Commit a group of exchanges' records: each one's stored record, or why it failed.

        One record the database refuses must never fail the other exchanges of its batch: a
        batch that fails is retried record by record, so only the refused one fails closed. When
        the database cannot be reached at all, nothing is retried: every record fails at once.
        """
        try:
            return list(self.append_batch(records))
        except AuditUnavailable as exc:
            if len(records) == 1 or self._unreachable(exc):
                return [exc] * len(records)
        outcomes: list[dict[str, Any] | AuditUnavailable] = []
        for i, record in enumerate(records):
            try:
                outcomes.append(self.append_batch([record])[0])
            except AuditUnavailable as exc:
                if self._unreachable(exc):
                    return outcomes + [exc] * (len(records) - i)
                log.error("the database refused one audit record: %s", exc)
                outcomes.append(exc)
        return outcomes

    def _unreachable(self, exc: BaseException) -> bool:
        """Whether a failure is the database's (gone, locked, out of connections) rather than
        one record's (a value or a constraint it refused)."""
        dbapi = self.engine.dialect.loaded_dbapi
        outage = (
            dbapi.OperationalError,
            dbapi.InterfaceError,
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.TimeoutError,
            OSError,
        )
        seen: set[int] = set()
        cause: BaseException | None = exc.__cause__
        while cause is not None and id(cause) not in seen:
            if isinstance(cause, outage):
                return True
            seen.add(id(cause))
            cause = cause.__cause__ or cause.__context__
        return False

    def _append_raw(self, raw: Any, records: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        cursor = raw.cursor()
        try:
            if self._postgres:  # psycopg opens the transaction with the first statement
                cursor.execute(LOCK_SQL, (CHAIN_LOCK_KEY,))
            else:  # autocommit mode (see storage.db): the write lock is asked for up front
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(HEAD_SQL)
            head = cursor.fetchone()
            rows, stored_all = linked(records, (int(head[0]), str(head[1])) if head else None)
            cursor.executemany(self._insert_record.sql, self._insert_record.many(rows))
            last = stored_all[-1]
            if self._checkpoint_due(stored_all[0]["seq"], last["seq"]):
                row = self._checkpoint_row(last["seq"], last["hash"])
                cursor.execute(self._insert_checkpoint.sql, self._insert_checkpoint.parameters(row))
            if self._postgres:
                raw.commit()
            else:
                cursor.execute("COMMIT")
        finally:
            cursor.close()
        return stored_all

    def _rollback(self, raw: Any) -> None:
        try:
            if self._postgres:
                raw.rollback()
            else:
                raw.cursor().execute("ROLLBACK")
        except Exception:  # noqa: S110 - no transaction open, or the connection is gone
            pass

    def append(
        self, record: Mapping[str, Any], *, alongside: Callable[[Connection], Any] | None = None
    ) -> dict[str, Any]:
        """Append one record (without seq/prevHash/hash) and commit; returns the stored record.

        ``alongside`` runs in the same transaction first: a change and its audit record are
        committed together or not at all.
        """
        _last_attempted.set(record.get("exchangeId"))
        try:
            with self._chain_transaction() as conn:
                if alongside is not None:
                    alongside(conn)
                [row], [stored] = linked([bounded_record(record)], self._head(conn))
                self._insert(conn, self._insert_record, row)
                if self._checkpoint_due(stored["seq"], stored["seq"]):
                    self._sign(conn, stored["seq"], stored["hash"])
        except (AuditUnavailable, ValueError):
            raise
        except Exception as exc:  # any storage failure means the exchange cannot be accounted for
            raise AuditUnavailable(str(exc.__class__.__name__)) from exc
        return stored

    def checkpoint(self) -> dict[str, Any] | None:
        """Sign the current head now (an export ends with one); None for an empty chain."""
        if self.signer is None:
            return None
        with self._chain_transaction() as conn:
            head = self._head(conn)
            if head is None:
                return None
            return self._sign_once(conn, head[0], head[1])

    def checkpoint_at(self, seq: int) -> dict[str, Any] | None:
        """Sign an earlier record, so that an export of a range ending between checkpoints ends
        at a signed record; None without a signer or record. The caller first checks that the
        record links to a later signed checkpoint: the signature vouches only for what was."""
        if self.signer is None:
            return None
        with self._chain_transaction() as conn:
            digest = conn.execute(
                select(audit_records.c.hash).where(audit_records.c.seq == seq)
            ).scalar()
            if digest is None:
                return None
            return self._sign_once(conn, seq, str(digest), head=False)

    def probe(self) -> None:
        """Raise AuditUnavailable unless a record could be appended now (readiness): a row is
        written in a transaction that is rolled back, so probing leaves nothing in the chain."""
        try:
            # In turn with the appenders, as they take it (SQLite's own busy handler could keep
            # a probe waiting past its timeout while other processes commit).
            with (
                self._writer_turn(),
                self.engine.connect().execution_options(sqlite_immediate=True) as conn,
            ):
                transaction = conn.begin()
                try:
                    self._insert(conn, self._insert_record, PROBE_ROW)
                finally:
                    transaction.rollback()
        except Exception as exc:
            raise AuditUnavailable(type(exc).__name__) from exc

    # -- inside the chain lock -------------------------------------------------------------

    @contextmanager
    def _chain_transaction(self) -> Iterator[Connection]:
        """A transaction that holds the chain: this process's lock, the file's or the database's."""
        with (
            self._lock,
            self._writer_turn(),
            self.engine.connect().execution_options(sqlite_immediate=True) as conn,
            conn.begin(),
        ):
            self._lock_chain(conn)
            yield conn

    def _lock_chain(self, conn: Connection) -> None:
        if self._postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})

    @staticmethod
    def _insert(conn: Connection, statement: DriverInsert, row: Mapping[str, Any]) -> None:
        conn.exec_driver_sql(statement.sql, statement.parameters(row))

    @staticmethod
    def _head(conn: Connection) -> tuple[int, str] | None:
        # Plain SQL on the hot path: one index lookup, without building a statement per call.
        row = conn.exec_driver_sql(HEAD_SQL).first()
        return (int(row[0]), str(row[1])) if row else None

    def _checkpoint_due(self, first: int, last: int) -> bool:
        """Whether appending seq ``first``..``last`` calls for a signed checkpoint: every N
        records or T seconds."""
        if self.signer is None:
            return False
        crossed = (first - 1) // self.checkpoint_every != last // self.checkpoint_every
        return crossed or time.monotonic() - self._last_checkpoint >= self.checkpoint_seconds

    def _sign_once(
        self, conn: Connection, seq: int, digest: str, *, head: bool = True
    ) -> dict[str, Any]:
        """The checkpoint at ``seq``: the one already signed, or a new one."""
        existing = conn.execute(
            select(audit_checkpoints).where(audit_checkpoints.c.seq == seq)
        ).first()
        if existing is not None:
            return checkpoint_json(existing._mapping)
        return self._sign(conn, seq, digest, head=head)

    def _sign(
        self, conn: Connection, seq: int, digest: str, *, head: bool = True
    ) -> dict[str, Any]:
        row = self._checkpoint_row(seq, digest, head=head)
        self._insert(conn, self._insert_checkpoint, row)
        return checkpoint_json(row)

    def _checkpoint_row(self, seq: int, digest: str, *, head: bool = True) -> dict[str, Any]:
        """A signed checkpoint of ``seq``/``digest`` (the head, unless ``head`` is false), as its
        table row."""
        assert self.signer is not None
        signed_at = dt.datetime.now(dt.UTC).isoformat()
        kid, signature = self.signer.signed(checkpoint_payload(seq, digest, signed_at))
        if head:  # signing an earlier record leaves the head's next checkpoint due as it was
            self._last_checkpoint = time.monotonic()
        return {
            "seq": seq,
            "hash": digest,
            "signed_at": signed_at,
            "kid": kid,
            "signature": signature,
        }


def writer_turn_file(engine: Engine) -> str | None:
    """The lock file beside a SQLite database file; None for PostgreSQL or an in-memory DB."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}.audit-lock"


def open_audit_trail(engine: Engine, settings: Settings) -> AuditTrail:
    """The trail with its checkpoint signer, as every writer (server, CLI) uses it."""
    return AuditTrail(
        engine,
        AuditSigner(settings.resolved_keys_dir),
        checkpoint_every=settings.audit_checkpoint_every,
        checkpoint_seconds=settings.audit_checkpoint_seconds,
    )
