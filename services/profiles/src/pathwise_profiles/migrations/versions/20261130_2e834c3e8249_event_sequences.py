"""event sequences: per-subject event numbers (docs/events.md, "Order")

One counter row per subject, bumped in the transaction that writes the outbox row. Events
written before this revision keep no number; a subject's numbering starts at 1 after it.

Revision ID: 2e834c3e8249
Revises: c3e1f0a9d2b7
Create Date: 2026-11-30 01:38:19.126298
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2e834c3e8249"
down_revision: str | None = "c3e1f0a9d2b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_sequences",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Uuid(), nullable=False),
        sa.Column("previous_event_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_event_sequences")),
    )


def downgrade() -> None:
    op.drop_table("event_sequences")
