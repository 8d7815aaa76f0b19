"""The searchable regions of every audit record derived again from its hashed body.

Region search now finds an exchange by the regions it asked for and by those of every node it
was routed to, and verification checks the column against the hashed record. Records written
before held only the regions asked for; the hashed body holds both, so the column is made
from it (the body is never changed, so the chain and its checkpoints stay as they are).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000


def _regions(body: dict[str, Any]) -> str | None:
    # The derivation as of this revision (gateway.audit.regions_column), kept here so that the
    # migration means the same thing whatever the code does later.
    touched = set(body.get("regions") or ())
    for source in body.get("sources") or ():
        touched.update(source.get("regions") or ())
    return f" {' '.join(sorted(touched))} " if touched else None


def upgrade() -> None:
    bind = op.get_bind()
    records = sa.table("audit_records", sa.column("seq"), sa.column("body"), sa.column("regions"))
    after = 0
    while True:
        rows = bind.execute(
            sa.select(records.c.seq, records.c.body, records.c.regions)
            .where(records.c.seq > after)
            .order_by(records.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for seq, body, current in rows:
            try:
                derived = _regions(json.loads(body))
            except (ValueError, TypeError, AttributeError):
                continue  # not a record verification can read: it names it, untouched
            if derived != current:
                changes.append({"s": seq, "r": derived})
        if changes:
            bind.execute(
                records.update()
                .where(records.c.seq == sa.bindparam("s"))
                .values(regions=sa.bindparam("r")),
                changes,
            )
        after = rows[-1][0]


def downgrade() -> None:
    # The earlier column held fewer regions; a downgraded gateway searches the derived ones.
    pass
