"""student voice surveys: surveys and their per-learner assignments with the answers
(docs/profiles.md, "Student voice surveys")

Revision ID: a0d9d4796c87
Revises: 5f2c8e1a7b34
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathwise_shared.db import UTCDateTime

revision: str = "a0d9d4796c87"
down_revision: str | None = "5f2c8e1a7b34"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_by_role", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_surveys_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_surveys_district_creator", ["district_id", "created_by", "id"], unique=False
        )

    op.create_table(
        "survey_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("class_id", sa.Uuid(), nullable=True),
        sa.Column("sent_by", sa.String(length=200), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("applied_fields", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_survey_assignments_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner_profiles.learner_id"],
            name=op.f("fk_survey_assignments_learner_id_learner_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_assignments_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_assignments")),
        sa.UniqueConstraint(
            "survey_id", "learner_id", name=op.f("uq_survey_assignments_survey_id_learner_id")
        ),
    )
    with op.batch_alter_table("survey_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_assignments_learner_id", ["learner_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_assignments_learner_id")

    op.drop_table("survey_assignments")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_district_creator")

    op.drop_table("surveys")
