"""Grants: what makes a conditional dataset usable (client, dataset, purpose, window, approver).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grants",
        sa.Column("grant_id", sa.String(40), primary_key=True),
        sa.Column("client_id", sa.String(300), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("fields", sa.JSON),
        sa.Column("regions", sa.JSON),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("legal_basis", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", sa.String(300)),
    )
    op.create_index("ix_grants_client_dataset", "grants", ["client_id", "dataset"])


def downgrade() -> None:
    op.drop_table("grants")
