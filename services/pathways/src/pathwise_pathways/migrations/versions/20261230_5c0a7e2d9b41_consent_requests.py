"""consent requests: the learner and activity pairs whose guardians were asked for consent
(``consent.requested``, once per pair; docs/pathways.md, "Learning beyond the classroom")

Revision ID: 5c0a7e2d9b41
Revises: d4a6993104bf
Create Date: 2026-12-30 10:00:00.000000

A new table only: no request was made before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pathwise_shared.db.types

revision: str = "5c0a7e2d9b41"
down_revision: str | None = "d4a6993104bf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_requests",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column(
            "requested_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_consent_requests_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "district_id", "learner_id", "activity_id", name=op.f("pk_consent_requests")
        ),
    )
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_requests_activity_id"), ["activity_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_requests_activity_id"))
    op.drop_table("consent_requests")
