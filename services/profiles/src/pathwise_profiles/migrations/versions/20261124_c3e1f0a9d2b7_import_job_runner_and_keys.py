"""import job runner, idempotency keys, one active import per district

Revision ID: c3e1f0a9d2b7
Revises: bd21695e81c9
Create Date: 2026-11-24 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e1f0a9d2b7"
down_revision: str | None = "bd21695e81c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_import_jobs_one_active",
            ["district_id"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )
        batch_op.create_index(
            "uq_import_jobs_idempotency_key",
            ["district_id", "created_by", "idempotency_key"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_import_jobs_idempotency_key")
        batch_op.drop_index("uq_import_jobs_one_active")
        batch_op.drop_column("request_hash")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("runner")
