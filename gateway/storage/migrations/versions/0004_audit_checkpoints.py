"""Signed checkpoints of the audit chain head, and the regions column auditors search by.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        # " 110108 110105 " — space-delimited leaf regions of the exchange, for LIKE search.
        batch.add_column(sa.Column("regions", sa.String(4000)))
    op.create_table(
        "audit_checkpoints",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("hash", sa.String(64), nullable=False),
        # The exact RFC 3339 text that was signed.
        sa.Column("signed_at", sa.String(40), nullable=False),
        sa.Column("kid", sa.String(100), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_column("regions")
