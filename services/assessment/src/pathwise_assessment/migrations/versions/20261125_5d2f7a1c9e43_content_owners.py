"""content owners: items and assessments get owner_id and owner_school_id

Revision ID: 5d2f7a1c9e43
Revises: cc93d19440c1
Create Date: 2026-11-25 10:00:00.000000

Existing rows: the owner is ``created_by`` (the author's subject, known for every row); the school
is unknown here (profiles owns it), so NULL: district-wide content, which its author and district
admins may still change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2f7a1c9e43"
down_revision: str | None = "cc93d19440c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("items", "assessments")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("owner_id", sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column("owner_school_id", sa.Uuid(), nullable=True))
        rows = sa.table(table, sa.column("owner_id"), sa.column("created_by"))
        op.execute(
            rows.update().where(rows.c.owner_id.is_(None)).values(owner_id=rows.c.created_by)
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("owner_school_id")
            batch_op.drop_column("owner_id")
