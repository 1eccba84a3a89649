"""users.preferred_language: the language a user reads our words in (docs/gateway.md,
"Guardian home")

Revision ID: 7c1e5b2d9a40
Revises: a0d9d4796c87
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5b2d9a40"
down_revision: str | None = "a0d9d4796c87"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("preferred_language", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("preferred_language")
