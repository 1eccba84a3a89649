"""idempotency request hash: items, assessments and attempts record the keyed request's hash

Revision ID: 7e3b9c2d4a10
Revises: 5d2f7a1c9e43
Create Date: 2026-11-30 10:00:00.000000

Keys are stored scoped to the caller from now on (``pathwise_shared.idempotency.scoped_key``), with
the request's fingerprint beside them, so the same key with another request is refused. Rows
created before keep their raw key and no hash: no new lookup can match them (a scoped key is a
hash), which is the same as those keys having expired.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e3b9c2d4a10"
down_revision: str | None = "5d2f7a1c9e43"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("items", "assessments", "attempts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("request_hash")
