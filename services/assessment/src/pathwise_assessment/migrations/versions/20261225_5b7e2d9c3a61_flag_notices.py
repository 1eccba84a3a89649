"""flag notices: pathways' learner.flagged / learner.unflagged events, for the comeback badge
(docs/assessment.md, "Motivation")

Revision ID: 5b7e2d9c3a61
Revises: 0ba64dab655c
Create Date: 2026-12-24 09:00:00.000000

A new table only. Flags raised before this revision were never delivered to assessment and are
not back-filled: a comeback counts from the first flag received.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pathwise_shared.db.types

revision: str = "5b7e2d9c3a61"
down_revision: str | None = "0ba64dab655c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flag_notices",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("flag_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("skill_code", sa.String(length=40), nullable=True),
        sa.Column(
            "occurred_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "received_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("comeback_skill", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_flag_notices")),
    )
    with op.batch_alter_table("flag_notices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flag_notices_district_learner",
            ["district_id", "learner_id", "occurred_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("flag_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_notices_district_learner")
    op.drop_table("flag_notices")
