"""The change feed's queries: numbering a transaction's changes, reading a district's feed, and
the current rows of the objects a page names."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import (
    academic_sessions,
    change_counters,
    classes,
    courses,
    districts,
    enrollments,
    guardian_links,
    roster_changes,
    schools,
    users,
)
from pathwise_profiles.repository.imports import insert_many

__all__ = ["TABLES", "bump_counters", "insert_changes", "last_seq", "page_after", "rows_by_id"]

# The table of each represented object type (domain/change_feed.py).
TABLES: dict[str, Table] = {
    "district": districts,
    "school": schools,
    "academic_session": academic_sessions,
    "course": courses,
    "class": classes,
    "user": users,
    "enrollment": enrollments,
    "guardian_link": guardian_links,
}
_CHUNK_IDS = 1_000


async def bump_counters(
    session: AsyncSession, counts: dict[uuid.UUID, int]
) -> dict[uuid.UUID, int]:
    """Add ``counts[d]`` to each district's counter and return the new ``last`` of each. The
    upsert locks each counter row until the commit; districts in sorted order, so two
    transactions touching the same districts cannot deadlock on them (PostgreSQL)."""
    is_pg = session.get_bind().dialect.name == "postgresql"
    insert = (postgresql.insert if is_pg else sqlite.insert)(change_counters)
    statement = insert.on_conflict_do_update(
        index_elements=[change_counters.c.district_id],
        set_={"last": change_counters.c["last"] + insert.excluded["last"]},
    ).returning(change_counters.c.district_id, change_counters.c["last"])
    last: dict[uuid.UUID, int] = {}
    # One statement per district (a transaction touches one district but for operator work):
    # RETURNING of an executemany is not ordered, and one row each keeps the lock order ours.
    for district_id in sorted(counts):
        row = (
            await session.execute(
                statement.values(district_id=district_id, last=counts[district_id])
            )
        ).one()
        last[row[0]] = int(row[1])
    return last


async def insert_changes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    # The import's fast executemany: a chunk of 10,000 roster rows records 10,000 changes.
    await insert_many(session, roster_changes, rows)


async def last_seq(session: AsyncSession, district_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(change_counters.c["last"]).where(change_counters.c.district_id == district_id)
    )
    return int(found or 0)


async def page_after(
    session: AsyncSession, district_id: uuid.UUID, after: int, limit: int
) -> Sequence[RowMapping]:
    stmt = (
        select(roster_changes)
        .where(roster_changes.c.district_id == district_id, roster_changes.c.seq > after)
        .order_by(roster_changes.c.seq)
        .limit(limit)
    )
    return (await session.execute(stmt)).mappings().all()


async def rows_by_id(
    session: AsyncSession, table: Table, ids: Sequence[uuid.UUID], district_id: uuid.UUID
) -> dict[uuid.UUID, RowMapping]:
    found: dict[uuid.UUID, RowMapping] = {}
    for start in range(0, len(ids), _CHUNK_IDS):
        chunk = list(ids[start : start + _CHUNK_IDS])
        # The district row is its own tenant (it has no district_id).
        tenant = table.c.id if table is districts else table.c.district_id
        stmt = select(table).where(table.c.id.in_(chunk), tenant == district_id)
        for row in (await session.execute(stmt)).mappings():
            found[row["id"]] = row
    return found
