"""change feed: roster_changes and the per-district change_counters (docs/profiles.md,
"Change feed")

The rows that exist already are entered once each, in the feed's first positions: an upsert per
record (a delete for one marked ``tobedeleted``) and one per learner profile, parents before
children (districts, schools, sessions, courses, classes, users, enrollments, guardian links,
profiles), so a sync started from the beginning sees the whole district.

Revision ID: 7c41e9a2d5f0
Revises: 7c1e5b2d9a40
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathwise_shared.db import UTCDateTime

revision: str = "7c41e9a2d5f0"
down_revision: str | None = "7c1e5b2d9a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (rank, table, object type, district column, id column, has a status)
_EXISTING = (
    (1, "districts", "district", "id", "id", True),
    (2, "schools", "school", "district_id", "id", True),
    (3, "academic_sessions", "academic_session", "district_id", "id", True),
    (4, "courses", "course", "district_id", "id", True),
    (5, "classes", "class", "district_id", "id", True),
    (6, "users", "user", "district_id", "id", True),
    (7, "enrollments", "enrollment", "district_id", "id", True),
    (8, "guardian_links", "guardian_link", "district_id", "id", True),
    (9, "learner_profiles", "learner_profile", "district_id", "learner_id", False),
)


def upgrade() -> None:
    op.create_table(
        "roster_changes",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("object_type", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "operation IN ('upsert', 'delete')", name=op.f("ck_roster_changes_operation")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_roster_changes_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "seq", name=op.f("pk_roster_changes")),
    )
    op.create_table(
        "change_counters",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_change_counters_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_change_counters")),
    )
    # Built from the constants above only (no input reaches this SQL).
    parts = [
        f"SELECT {rank} AS rank, {district} AS district_id, '{kind}' AS object_type, "  # noqa: S608
        f"{ident} AS object_id, "
        + (
            "CASE WHEN status = 'tobedeleted' THEN 'delete' ELSE 'upsert' END"
            if has_status
            else "'upsert'"
        )
        + f" AS operation, updated_at AS changed_at FROM {table}"
        for rank, table, kind, district, ident, has_status in _EXISTING
    ]
    # Window functions: SQLite 3.25+ and PostgreSQL.
    op.execute(
        "INSERT INTO roster_changes "  # noqa: S608
        "(district_id, seq, object_type, object_id, operation, changed_at) "
        "SELECT district_id, ROW_NUMBER() OVER (PARTITION BY district_id ORDER BY rank, "
        "object_id), object_type, object_id, operation, changed_at FROM ("
        + " UNION ALL ".join(parts)
        + ") AS existing"
    )
    op.execute(
        'INSERT INTO change_counters (district_id, "last") '
        "SELECT district_id, MAX(seq) FROM roster_changes GROUP BY district_id"
    )


def downgrade() -> None:
    op.drop_table("change_counters")
    op.drop_table("roster_changes")
