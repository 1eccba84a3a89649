"""learner flags: early warnings kept per learner, so changes are events and a dismissal holds

Revision ID: 9d2f6a41c8e3
Revises: 3a7c5e9b1d42
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pathwise_shared.db.types

revision: str = "9d2f6a41c8e3"
down_revision: str | None = "3a7c5e9b1d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_flags",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("instance_key", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("raised_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "dismissed_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("dismissed_by", sa.String(length=200), nullable=True),
        sa.Column("dismissal_note", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_flags")),
        sa.UniqueConstraint(
            "district_id",
            "learner_id",
            "code",
            name=op.f("uq_learner_flags_district_id_learner_id_code"),
        ),
    )


def downgrade() -> None:
    op.drop_table("learner_flags")
