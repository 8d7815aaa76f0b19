"""The searchable regions of an audit record as unbounded text.

A fan-out over a large region registry, plus the regions of every node that answered, must
never overflow the column and fail the commit of the exchanges batched with it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite never enforces a VARCHAR length: only PostgreSQL needs the change (and SQLite
    # would have to copy the whole audit table to make it).
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("audit_records", "regions", type_=sa.Text, existing_type=sa.String(4000))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("audit_records", "regions", type_=sa.String(4000), existing_type=sa.Text)
