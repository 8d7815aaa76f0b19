"""Clients, revoked tokens and the audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("scopes", sa.String(400), nullable=False),
        sa.Column("auth_method", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(200)),
        sa.Column("jwks", sa.JSON),
        sa.Column("jwks_uri", sa.String(500)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_records",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("exchange_id", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(300)),
        sa.Column("dataset", sa.String(64)),
        sa.Column("purpose", sa.String(64)),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("rule_id", sa.String(64)),
        sa.Column("http_status", sa.Integer, nullable=False),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_client_time", "audit_records", ["client_id", "recorded_at"])
    op.create_index("ix_audit_dataset_time", "audit_records", ["dataset", "recorded_at"])
    op.create_index("ix_audit_trace", "audit_records", ["trace_id"])
    op.create_index("ix_audit_time", "audit_records", ["recorded_at"])


def downgrade() -> None:
    op.drop_table("audit_records")
    op.drop_table("revoked_tokens")
    op.drop_table("clients")
