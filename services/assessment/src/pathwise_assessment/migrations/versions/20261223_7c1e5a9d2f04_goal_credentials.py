"""goal credentials: a credential names a mastered skill or a completed profiles goal
(docs/assessment.md, "Credentials")

Revision ID: 7c1e5a9d2f04
Revises: 33056f4349a0
Create Date: 2026-12-23 09:00:00.000000

Every existing row is a skill's credential: it keeps its ``skill_code`` and gets no
``goal_id``, which the new check (exactly one of the two) accepts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a9d2f04"
down_revision: str | None = "33056f4349a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goal_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("skill_code", existing_type=sa.String(length=40), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_credentials_one_achievement"), "(skill_code IS NULL) <> (goal_id IS NULL)"
        )


def downgrade() -> None:
    # A goal's credential has no skill to keep: downgrading drops them (they are re-issued from
    # the goal on request after an upgrade).
    op.execute("DELETE FROM credentials WHERE goal_id IS NOT NULL")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_credentials_one_achievement"), type_="check")
        batch_op.alter_column("skill_code", existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_column("goal_id")
