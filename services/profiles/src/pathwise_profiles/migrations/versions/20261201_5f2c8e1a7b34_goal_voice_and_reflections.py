"""goal voice and reflections: a goal's why, co-sign and completion; goal comments;
reflections and their replies (docs/profiles.md, "Student-owned goals", "Reflections")

Revision ID: 5f2c8e1a7b34
Revises: 2e834c3e8249
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathwise_shared.db import UTCDateTime

revision: str = "5f2c8e1a7b34"
down_revision: str | None = "2e834c3e8249"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("goals") as batch:
        batch.add_column(sa.Column("why", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("co_signed_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("co_signed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("completed_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "goal_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_goal_comments_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goals.id"],
            name=op.f("fk_goal_comments_goal_id_goals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_comments")),
    )
    op.create_index("ix_goal_comments_goal_id", "goal_comments", ["goal_id", "id"])
    op.create_table(
        "reflections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=True),
        sa.Column("skill_code", sa.String(length=40), nullable=True),
        sa.Column("goal_id", sa.Uuid(), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("journal", sa.String(length=2000), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "target_kind IN ('step', 'skill', 'goal')", name=op.f("ck_reflections_target_kind")
        ),
        sa.CheckConstraint("confidence BETWEEN 1 AND 4", name=op.f("ck_reflections_confidence")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_reflections_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_reflections_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner_profiles.learner_id"],
            name=op.f("fk_reflections_learner_id_learner_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflections")),
    )
    op.create_index("ix_reflections_learner_id", "reflections", ["learner_id", "id"])
    op.create_index(
        "ix_reflections_learner_skill", "reflections", ["learner_id", "skill_code", "id"]
    )
    op.create_table(
        "reflection_replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("reflection_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_reflection_replies_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reflection_id"],
            ["reflections.id"],
            name=op.f("fk_reflection_replies_reflection_id_reflections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_replies")),
    )
    op.create_index(
        "ix_reflection_replies_reflection_id", "reflection_replies", ["reflection_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_reflection_replies_reflection_id", table_name="reflection_replies")
    op.drop_table("reflection_replies")
    op.drop_index("ix_reflections_learner_skill", table_name="reflections")
    op.drop_index("ix_reflections_learner_id", table_name="reflections")
    op.drop_table("reflections")
    op.drop_index("ix_goal_comments_goal_id", table_name="goal_comments")
    op.drop_table("goal_comments")
    with op.batch_alter_table("goals") as batch:
        batch.drop_column("completed_at")
        batch.drop_column("co_signed_at")
        batch.drop_column("co_signed_by")
        batch.drop_column("why")
