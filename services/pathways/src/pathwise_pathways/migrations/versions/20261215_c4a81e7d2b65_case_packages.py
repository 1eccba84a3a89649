"""case packages: crosswalk targets by identifier, typed associations, re-import by date

Revision ID: c4a81e7d2b65
Revises: 9d2f6a41c8e3
Create Date: 2026-12-15 09:00:00.000000

Crosswalks keep their target's CASE identifier, URI and document; skills the URI of the CASE
item they came from; frameworks when their content last changed (a re-import is compared with
it). Associations of other CASE types get a table of their own. Existing rows keep NULLs: a
framework imported before has no date, so any dated re-import of it counts as newer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pathwise_shared.db.types

revision: str = "c4a81e7d2b65"
down_revision: str | None = "9d2f6a41c8e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "changed_at", pathwise_shared.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_uri", sa.String(length=1000), nullable=True))
    with op.batch_alter_table("skill_edges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("target_uri", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("target_document_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("target_document_uri", sa.String(length=1000), nullable=True))
    op.create_table(
        "framework_associations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("framework_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=True),
        sa.Column("origin_id", sa.String(length=200), nullable=False),
        sa.Column("origin_code", sa.String(length=100), nullable=True),
        sa.Column("origin_uri", sa.String(length=1000), nullable=True),
        sa.Column("destination_id", sa.String(length=200), nullable=False),
        sa.Column("destination_code", sa.String(length=100), nullable=True),
        sa.Column("destination_uri", sa.String(length=1000), nullable=True),
        sa.Column("destination_title", sa.String(length=300), nullable=True),
        sa.Column("sequence_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["frameworks.id"],
            name=op.f("fk_framework_associations_framework_id_frameworks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_associations")),
    )
    with op.batch_alter_table("framework_associations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_framework_associations_framework_id"), ["framework_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("framework_associations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_associations_framework_id"))
    op.drop_table("framework_associations")
    with op.batch_alter_table("skill_edges", schema=None) as batch_op:
        batch_op.drop_column("target_document_uri")
        batch_op.drop_column("target_document_id")
        batch_op.drop_column("target_uri")
        batch_op.drop_column("target_id")
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.drop_column("source_uri")
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
