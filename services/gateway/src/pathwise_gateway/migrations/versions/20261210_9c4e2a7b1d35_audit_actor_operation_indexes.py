"""audit actor and operation indexes: the admin search filters by actor or operation

Newest first within the district, as the learner filter already is (``ix_audit_log_district_
learner_id``), so a filtered page reads only its own rows however large the log grows.

Revision ID: 9c4e2a7b1d35
Revises: f718f40bd905
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9c4e2a7b1d35"
down_revision: str | None = "f718f40bd905"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_district_actor_id", ["district_id", "actor", "id"])
        batch_op.create_index(
            "ix_audit_log_district_operation_id", ["district_id", "operation", "id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_district_operation_id")
        batch_op.drop_index("ix_audit_log_district_actor_id")
