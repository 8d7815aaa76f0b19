"""The tables. Alembic migrations (gateway/storage/migrations) create them; this module describes
them for queries. Every time column is an :class:`Instant`: UTC on both backends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect

from gateway.core.instants import utc

metadata = MetaData()


class Instant(TypeDecorator[dt.datetime]):
    """A moment in time, stored and compared as UTC and read back as an aware UTC datetime.

    SQLite has no time zones: SQLAlchemy writes a datetime's wall-clock digits and drops its
    offset, so ``08:00+08:00`` would be stored, compared and read back as ``08:00`` UTC. Every
    value (written or compared against) is turned into UTC first; a naive one is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else utc(value)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        # SQLite gives back the UTC digits without a zone; PostgreSQL gives the session's zone.
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


clients = Table(
    "clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region", String(16), nullable=False),
    Column("tier", String(32), nullable=False),
    Column("scopes", String(400), nullable=False),
    Column("auth_method", String(32), nullable=False),
    # argon2id hash of the secret; NULL for private_key_jwt clients.
    Column("secret_hash", String(200)),
    Column("jwks", JSON),
    Column("jwks_uri", String(500)),
    Column("status", String(16), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("updated_at", Instant(), nullable=False),
    # Access tokens issued (iat) before this instant are refused: set on disable, and on a
    # rotation that revokes outstanding tokens. NULL: every unexpired token of the client.
    Column("tokens_valid_after", Instant()),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("client_id", String(64)),
    Column("expires_at", Instant(), nullable=False),
    Column("revoked_at", Instant(), nullable=False),
)

used_assertions = Table(
    "used_assertions",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("jti", String(128), primary_key=True),
    Column("expires_at", Instant(), nullable=False),
)

grants = Table(
    "grants",
    metadata,
    Column("grant_id", String(40), primary_key=True),
    Column("client_id", String(300), nullable=False),
    Column("dataset", String(64), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("fields", JSON),
    Column("regions", JSON),
    Column("valid_from", Instant(), nullable=False),
    Column("valid_until", Instant()),
    Column("approver", String(200), nullable=False),
    Column("legal_basis", String(500), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("created_by", String(300), nullable=False),
    Column("revoked_at", Instant()),
    Column("revoked_by", String(300)),
)
Index("ix_grants_client_dataset", grants.c.client_id, grants.c.dataset)

audit_records = Table(
    "audit_records",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("exchange_id", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("recorded_at", Instant(), nullable=False),
    Column("client_id", String(300)),
    Column("dataset", String(64)),
    Column("purpose", String(64)),
    Column("decision", String(8), nullable=False),
    Column("rule_id", String(64)),
    Column("http_status", Integer, nullable=False),
    Column("trace_id", String(32)),
    Column("regions", Text),
    # The canonical JSON of the whole record; the columns above are copies kept for search and
    # are checked against it on verification.
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("hash", String(64), nullable=False),
    Column("signed_at", String(40), nullable=False),
    Column("kid", String(100), nullable=False),
    Column("signature", String(200), nullable=False),
)

Index("ix_audit_client_time", audit_records.c.client_id, audit_records.c.recorded_at)
Index("ix_audit_dataset_time", audit_records.c.dataset, audit_records.c.recorded_at)
Index("ix_audit_trace", audit_records.c.trace_id)
Index("ix_audit_time", audit_records.c.recorded_at)
