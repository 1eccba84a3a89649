"""learner exports: the export jobs (docs/privacy.md, "Export")

Revision ID: 4be7d0c91a2f
Revises: 9c4e2a7b1d35
Create Date: 2026-12-11 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pathwise_shared.db.types

revision: str = "4be7d0c91a2f"
down_revision: str | None = "9c4e2a7b1d35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_role", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("started_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "finished_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("expires_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("runner", sa.String(length=200), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_exports")),
    )
    op.create_index(
        "ix_learner_exports_district_learner_id",
        "learner_exports",
        ["district_id", "learner_id", "id"],
    )
    op.create_index("ix_learner_exports_state", "learner_exports", ["state"])


def downgrade() -> None:
    op.drop_index("ix_learner_exports_state", table_name="learner_exports")
    op.drop_index("ix_learner_exports_district_learner_id", table_name="learner_exports")
    op.drop_table("learner_exports")
