"""retention and legal holds: a student's optional birth date, legal holds on learners, the
districts' retention policies and the learners the scheduled evaluation found due for deletion
(docs/privacy.md, "Retention" and "Legal hold")

Revision ID: 9b4d2e7f1a63
Revises: 3f6a9c1d8e52
Create Date: 2027-01-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathwise_shared.db import UTCDateTime

revision: str = "9b4d2e7f1a63"
down_revision: str | None = "3f6a9c1d8e52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _district_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["district_id"],
        ["districts.id"],
        name=op.f(f"fk_{table}_district_id_districts"),
        ondelete="CASCADE",
    )


def _learner_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["learner_id"], ["users.id"], name=op.f(f"fk_{table}_learner_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
    op.create_table(
        "legal_holds",
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        _district_fk("legal_holds"),
        _learner_fk("legal_holds"),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_legal_holds")),
    )
    op.create_index("ix_legal_holds_district_id", "legal_holds", ["district_id"])
    op.create_table(
        "retention_policies",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("delete_after_days_since_leaving", sa.Integer(), nullable=False),
        sa.Column("delete_after_days_since_leaving_under_13", sa.Integer(), nullable=True),
        sa.Column("audit_log_days", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        _district_fk("retention_policies"),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_retention_policies")),
    )
    op.create_table(
        "pending_deletions",
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("due_since", sa.Date(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'held', 'deleted')", name=op.f("ck_pending_deletions_state")
        ),
        sa.CheckConstraint(
            "rule IN ('left', 'left_under_13')", name=op.f("ck_pending_deletions_rule")
        ),
        _district_fk("pending_deletions"),
        _learner_fk("pending_deletions"),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_pending_deletions")),
    )
    op.create_index(
        "ix_pending_deletions_district_id_state", "pending_deletions", ["district_id", "state"]
    )


def downgrade() -> None:
    op.drop_index("ix_pending_deletions_district_id_state", table_name="pending_deletions")
    op.drop_table("pending_deletions")
    op.drop_table("retention_policies")
    op.drop_index("ix_legal_holds_district_id", table_name="legal_holds")
    op.drop_table("legal_holds")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("birth_date")
