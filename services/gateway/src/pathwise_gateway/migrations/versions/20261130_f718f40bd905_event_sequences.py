"""event sequences: per-subject event numbers (docs/events.md, "Order")

One counter row per subject, bumped in the transaction that writes the outbox row. Events
written before this revision keep no number; a subject's numbering starts at 1 after it.

Revision ID: f718f40bd905
Revises: 573827fec7f9
Create Date: 2026-11-30 01:38:33.769379
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f718f40bd905"
down_revision: str | None = "573827fec7f9"
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
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.drop_column("sequence")

    op.drop_table("event_sequences")
