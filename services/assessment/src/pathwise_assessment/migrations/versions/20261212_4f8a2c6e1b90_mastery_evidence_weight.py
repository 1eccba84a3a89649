"""mastery evidence weight: the evidence floor of the mastery model (docs/assessment.md, "Mastery")

Revision ID: 4f8a2c6e1b90
Revises: 7e3b9c2d4a10, ba3d5ec1eceb
Create Date: 2026-12-12 10:00:00.000000

``mastery_states.evidence_weight`` is the CUSUM of the log-likelihood ratio of a learner's recent
informative answers on the skill. Existing rows start at 0: their evidence was gathered under the
old rule (a hard-correct counter), which the new model does not trust, so a learner keeps the
stored P(known) and mastered state but must show fresh evidence to reach mastery again once it
is lost. The revision also joins the two heads of the schema history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f8a2c6e1b90"
down_revision: str | tuple[str, ...] | None = ("7e3b9c2d4a10", "ba3d5ec1eceb")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mastery_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("evidence_weight", sa.Float(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("mastery_states", schema=None) as batch_op:
        batch_op.drop_column("evidence_weight")
