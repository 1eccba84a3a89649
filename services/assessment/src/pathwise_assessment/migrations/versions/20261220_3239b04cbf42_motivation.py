"""motivation: practice days, badges and the learner's display preference (docs/assessment.md,
"Motivation")

Revision ID: 3239b04cbf42
Revises: 4f8a2c6e1b90
Create Date: 2026-12-20 09:53:36.452473

New tables only. Practice before this revision is not back-filled into ``practice_days``: points
and streaks count from the upgrade (responses have no learner index to back-fill from cheaply,
and a streak rebuilt from old data would award badges for days nobody was told about).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pathwise_shared.db.types

revision: str = "3239b04cbf42"
down_revision: str | None = "4f8a2c6e1b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "badges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("skill_code", sa.String(length=40), nullable=False),
        sa.Column(
            "awarded_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badges")),
        sa.UniqueConstraint(
            "district_id",
            "learner_id",
            "code",
            "skill_code",
            name=op.f("uq_badges_district_id_learner_id_code_skill_code"),
        ),
    )
    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_badges_district_learner", ["district_id", "learner_id", "id"], unique=False
        )

    op.create_table(
        "motivation_preferences",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "district_id", "learner_id", name=op.f("pk_motivation_preferences")
        ),
    )
    op.create_table(
        "practice_days",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("district_id", "learner_id", "day", name=op.f("pk_practice_days")),
    )


def downgrade() -> None:
    op.drop_table("practice_days")
    op.drop_table("motivation_preferences")
    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.drop_index("ix_badges_district_learner")

    op.drop_table("badges")
