"""one unrevoked credential per learner and skill, and per learner and goal: partial unique
indexes (docs/assessment.md, "Credentials")

Revision ID: 0ba64dab655c
Revises: 7c1e5a9d2f04
Create Date: 2026-12-24 09:00:00.000000

Two requests at the same instant could both pass the service's check before this index: such
duplicates would stop the index from being built. Every unrevoked credential but the first
issued (by ``issued_at``, then ``id``) for the same achievement is revoked first, with its own
issue time (it never should have been issued) and a reason saying why; the learner keeps the
first, which says the same thing. No ``credential.revoked`` event goes out for them (a
migration writes no outbox).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0ba64dab655c"
down_revision: str | None = "7c1e5a9d2f04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_SKILL = sa.text("revoked_at IS NULL AND skill_code IS NOT NULL")
ACTIVE_GOAL = sa.text("revoked_at IS NULL AND goal_id IS NOT NULL")


_CREDENTIALS = sa.table(
    "credentials",
    *(
        sa.column(name)
        for name in (
            "id",
            "district_id",
            "learner_id",
            "skill_code",
            "goal_id",
            "issued_at",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
        )
    ),
)


def _revoke_duplicates(column: str) -> None:
    row = _CREDENTIALS
    earlier = row.alias("earlier")
    first_is_earlier = sa.or_(
        earlier.c.issued_at < row.c.issued_at,
        sa.and_(earlier.c.issued_at == row.c.issued_at, earlier.c.id < row.c.id),
    )
    op.execute(
        sa.update(row)
        .where(
            row.c.revoked_at.is_(None),
            row.c[column].is_not(None),
            sa.exists().where(
                earlier.c.district_id == row.c.district_id,
                earlier.c.learner_id == row.c.learner_id,
                earlier.c[column] == row.c[column],
                earlier.c.revoked_at.is_(None),
                first_is_earlier,
            ),
        )
        .values(
            revoked_at=row.c.issued_at,
            revoked_by=f"migration:{revision}",
            revoke_reason="A duplicate of an earlier credential for the same achievement.",
        )
    )


def upgrade() -> None:
    _revoke_duplicates("skill_code")
    _revoke_duplicates("goal_id")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            "uq_credentials_active_skill",
            ["district_id", "learner_id", "skill_code"],
            unique=True,
            sqlite_where=ACTIVE_SKILL,
            postgresql_where=ACTIVE_SKILL,
        )
        batch_op.create_index(
            "uq_credentials_active_goal",
            ["district_id", "learner_id", "goal_id"],
            unique=True,
            sqlite_where=ACTIVE_GOAL,
            postgresql_where=ACTIVE_GOAL,
        )


def downgrade() -> None:
    # The duplicates revoked on upgrade stay revoked: they were never meant to be valid.
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index("uq_credentials_active_goal")
        batch_op.drop_index("uq_credentials_active_skill")
