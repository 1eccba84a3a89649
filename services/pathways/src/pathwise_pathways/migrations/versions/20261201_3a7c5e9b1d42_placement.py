"""placement: a pathway keeps the skills a diagnostic placed; a step may be 'placed'

Revision ID: 3a7c5e9b1d42
Revises: 5f7db2517e54
Create Date: 2026-12-01 09:00:00.000000

Existing pathways start with no placements and nothing un-placed (``{}``); the server default
only fills those rows and is dropped afterwards (the model gives the default for new rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3a7c5e9b1d42"
down_revision: str | None = "5f7db2517e54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('locked', 'ready', 'mastered', 'skipped')"
NEW_STATUSES = "status IN ('locked', 'ready', 'mastered', 'skipped', 'placed')"


def upgrade() -> None:
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        for name in ("placements", "unplaced"):
            batch_op.add_column(
                sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
            )
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        for name in ("placements", "unplaced"):
            batch_op.alter_column(name, server_default=None)
    with op.batch_alter_table("pathway_steps", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_pathway_steps_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_pathway_steps_status"), NEW_STATUSES)


def downgrade() -> None:
    # Placed steps go back to open (locked): the old schema has no such status, and the next
    # replan opens whichever of them is ready.
    op.execute("UPDATE pathway_steps SET status = 'locked' WHERE status = 'placed'")
    with op.batch_alter_table("pathway_steps", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_pathway_steps_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_pathway_steps_status"), OLD_STATUSES)
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.drop_column("unplaced")
        batch_op.drop_column("placements")
