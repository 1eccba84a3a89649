"""learner deletions: the deletion jobs and their certificates (docs/privacy.md, "Deletion")

Revision ID: 7d3a9e5c2b14
Revises: 4be7d0c91a2f
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pathwise_shared.db.types

revision: str = "7d3a9e5c2b14"
down_revision: str | None = "4be7d0c91a2f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_deletions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=True),
        sa.Column("tombstone", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("retention", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("started_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "finished_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("runner", sa.String(length=200), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("certificate", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_deletions")),
    )
    op.create_index("ix_learner_deletions_district_id", "learner_deletions", ["district_id", "id"])
    op.create_index("ix_learner_deletions_state", "learner_deletions", ["state"])
    unfinished = sa.text("state IN ('queued', 'running', 'failed')")
    op.create_index(
        "uq_learner_deletions_unfinished",
        "learner_deletions",
        ["district_id", "tombstone"],
        unique=True,
        postgresql_where=unfinished,
        sqlite_where=unfinished,
    )


def downgrade() -> None:
    op.drop_index("uq_learner_deletions_unfinished", table_name="learner_deletions")
    op.drop_index("ix_learner_deletions_state", table_name="learner_deletions")
    op.drop_index("ix_learner_deletions_district_id", table_name="learner_deletions")
    op.drop_table("learner_deletions")
