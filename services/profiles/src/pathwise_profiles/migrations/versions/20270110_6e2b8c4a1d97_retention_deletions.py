"""retention deletions: the learners a district's retention policy had erased, by the deletion's
id and tombstone (docs/privacy.md, "Retention")

Revision ID: 6e2b8c4a1d97
Revises: 9b4d2e7f1a63
Create Date: 2027-01-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathwise_shared.db import UTCDateTime

revision: str = "6e2b8c4a1d97"
down_revision: str | None = "9b4d2e7f1a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_deletions",
        sa.Column("deletion_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("tombstone", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("due_since", sa.Date(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "rule IN ('left', 'left_under_13')", name=op.f("ck_retention_deletions_rule")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_retention_deletions_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deletion_id", name=op.f("pk_retention_deletions")),
    )
    op.create_index(
        "ix_retention_deletions_district_id", "retention_deletions", ["district_id", "deleted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_retention_deletions_district_id", table_name="retention_deletions")
    op.drop_table("retention_deletions")
