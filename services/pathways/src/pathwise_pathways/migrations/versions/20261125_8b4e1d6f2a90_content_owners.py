"""content owners: activities and frameworks get owner_id and owner_school_id

Revision ID: 8b4e1d6f2a90
Revises: 6e0a263747b7
Create Date: 2026-11-25 10:00:00.000000

Existing rows stay without an owner: these tables never recorded their author, and profiles owns
the schools. An activity or district framework without an owner is district-wide content: district
admins and clients with the write scope may change it, teachers and school admins may not.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b4e1d6f2a90"
down_revision: str | None = "6e0a263747b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("activities", "frameworks")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("owner_id", sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column("owner_school_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("owner_school_id")
            batch_op.drop_column("owner_id")
