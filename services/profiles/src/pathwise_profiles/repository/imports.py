"""Queries of roster imports: jobs, the district snapshot a plan diffs against, bulk writes.

Bulk writes are SQLAlchemy Core executemany statements (one round trip per chunk on both
drivers), never a statement per row.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.roster_plan import Existing, Snapshot
from pathwise_profiles.models import (
    academic_sessions,
    classes,
    courses,
    districts,
    enrollments,
    guardian_links,
    import_jobs,
    learner_profiles,
    schools,
    user_roles,
    user_schools,
    users,
)

__all__ = [
    "COMPARED",
    "TABLES",
    "active_counts",
    "active_job",
    "active_jobs",
    "get_job",
    "insert_job",
    "insert_many",
    "job_by_key",
    "list_jobs",
    "load_snapshot",
    "mark_deleted",
    "replace_roles_and_schools",
    "update_job",
    "update_many",
]

TABLES: dict[str, Table] = {
    "schools": schools,
    "sessions": academic_sessions,
    "courses": courses,
    "classes": classes,
    "users": users,
    "enrollments": enrollments,
}
# The columns an import sets and compares, per kind (besides status).
COMPARED: dict[str, tuple[str, ...]] = {
    "schools": ("name", "identifier"),
    "sessions": ("title", "type", "start_date", "end_date", "school_year", "parent_id"),
    "courses": ("title", "course_code", "grades", "school_id"),
    "classes": (
        "title", "class_code", "grades", "grade", "school_id", "course_id", "session_id",
    ),
    "users": ("username", "given_name", "family_name", "email", "grade", "enabled"),
    "enrollments": (
        "role", "is_primary", "begin_date", "end_date", "class_id", "user_id", "school_id",
    ),
}  # fmt: skip
CHUNK_IDS = 500
ACTIVE_STATES = ("queued", "running")


async def load_snapshot(
    session: AsyncSession,
    district_id: uuid.UUID,
    only: dict[str, set[str]] | None = None,
    usernames_of: set[str] | None = None,
) -> Snapshot:
    """The district's roster rows (all, or with ``only`` just the named sourcedIds per kind:
    a webhook naming ten users need not read half a million enrollments)."""
    by_kind: dict[str, dict[str, Existing]] = {}
    total = 0
    active: dict[str, int] = defaultdict(int)
    active_users: set[uuid.UUID] = set()
    for kind, table in TABLES.items():
        columns = [table.c.id, table.c.sourced_id, table.c.status]
        columns += [table.c[name] for name in COMPARED[kind]]
        base = select(*columns).where(table.c.district_id == district_id)
        if only is None:
            statements = [base]
        else:
            wanted = sorted(only.get(kind, set()))
            statements = [
                base.where(table.c.sourced_id.in_(wanted[i : i + CHUNK_IDS]))
                for i in range(0, len(wanted), CHUNK_IDS)
            ]
        rows: dict[str, Existing] = {}
        for stmt in statements:
            for row in (await session.execute(stmt)).mappings():
                if row["status"] == "active":
                    total += 1
                    active[kind] += 1
                    if kind == "users":
                        active_users.add(row["id"])
                if row["sourced_id"] is not None:
                    values = {name: row[name] for name in COMPARED[kind]}
                    rows[row["sourced_id"]] = Existing(row["id"], row["status"], values)
        by_kind[kind] = rows
    user_ids = None if only is None else [e.id for e in by_kind["users"].values()]
    roles: dict[uuid.UUID, set[str]] = defaultdict(set)
    for user_id, role in await _pairs(
        session,
        user_roles.c.user_id,
        user_roles.c.role,
        user_roles.c.district_id,
        district_id,
        user_ids,
    ):
        roles[user_id].add(role)
    school_ids: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for user_id, school_id in await _pairs(
        session,
        user_schools.c.user_id,
        user_schools.c.school_id,
        user_schools.c.district_id,
        district_id,
        user_ids,
    ):
        school_ids[user_id].add(school_id)
    for existing in by_kind["users"].values():
        existing.roles = frozenset(roles.get(existing.id, ()))
        existing.school_ids = frozenset(school_ids.get(existing.id, ()))
    name_stmt = select(users.c.id, users.c.username).where(users.c.district_id == district_id)
    if usernames_of is not None:
        name_stmt = name_stmt.where(users.c.username.in_(sorted(usernames_of)))
    usernames = {name: uid for uid, name in await session.execute(name_stmt)}
    learners = {
        uid
        for uid, _ in await _pairs(
            session,
            learner_profiles.c.learner_id,
            learner_profiles.c.learner_id,
            learner_profiles.c.district_id,
            district_id,
            user_ids,
        )
    }
    links = {
        (guardian, student): (link_id, status)
        for link_id, guardian, student, status in await _links(session, district_id, user_ids)
    }
    own = await session.scalar(select(districts.c.sourced_id).where(districts.c.id == district_id))
    snapshot = Snapshot(by_kind, total, usernames, learners, {own} if own else set(), links)
    if only is None:
        # The guard's denominators: every active row of the district, by kind and user role.
        active.pop("users", None)
        for user_id in active_users:
            for role in roles.get(user_id, ()):
                active[f"users:{role}"] += 1
        active["guardian_links"] = sum(1 for _, status in links.values() if status == "active")
        snapshot.active = dict(active)
    else:
        # A narrow snapshot holds only the named rows: the guard still weighs a change against
        # the whole district, counted in the database rather than loaded.
        snapshot.active = await active_counts(session, district_id)
    return snapshot


async def active_counts(session: AsyncSession, district_id: uuid.UUID) -> dict[str, int]:
    """The district's active rows per guard kind (``roster_guard.GUARD_KINDS``: users by role),
    counted by the database: a handful of aggregate queries, whatever the roster's size."""
    counts: dict[str, int] = {}
    for kind, table in TABLES.items():
        if kind == "users":
            continue
        counts[kind] = await _count_active(session, table, district_id)
    role_stmt = (
        select(user_roles.c.role, func.count())
        .select_from(user_roles.join(users, users.c.id == user_roles.c.user_id))
        .where(user_roles.c.district_id == district_id, users.c.status == "active")
        .group_by(user_roles.c.role)
    )
    for role, count in await session.execute(role_stmt):
        counts[f"users:{role}"] = int(count)
    counts["guardian_links"] = await _count_active(session, guardian_links, district_id)
    return counts


async def _count_active(session: AsyncSession, table: Table, district_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(table)
        .where(table.c.district_id == district_id, table.c.status == "active")
    )
    return int(await session.scalar(stmt) or 0)


async def _links(
    session: AsyncSession, district_id: uuid.UUID, user_ids: list[uuid.UUID] | None
) -> list[tuple[Any, ...]]:
    c = guardian_links.c
    stmt = select(c.id, c.guardian_id, c.student_id, c.status).where(c.district_id == district_id)
    if user_ids is None:
        return [tuple(row) for row in await session.execute(stmt)]
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(user_ids), CHUNK_IDS):
        chunk = user_ids[start : start + CHUNK_IDS]
        found += [tuple(row) for row in await session.execute(stmt.where(c.student_id.in_(chunk)))]
    return found


async def _pairs(
    session: AsyncSession,
    key: Any,
    value: Any,
    district_column: Any,
    district_id: uuid.UUID,
    keys: list[uuid.UUID] | None,
) -> list[tuple[Any, Any]]:
    stmt = select(key, value).where(district_column == district_id)
    if keys is None:
        return [(k, v) for k, v in await session.execute(stmt)]
    found: list[tuple[Any, Any]] = []
    for start in range(0, len(keys), CHUNK_IDS):
        chunk = keys[start : start + CHUNK_IDS]
        found += [(k, v) for k, v in await session.execute(stmt.where(key.in_(chunk)))]
    return found


async def insert_many(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany of ``rows`` (dicts with the same keys), with the columns' own bind
    processing applied here in one tight loop: SQLAlchemy's per-row parameter machinery cost
    more than the database's own work on imports of 100k+ rows (docs/profiles.md)."""
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup or ())
    if sorted(order) != sorted(keys):  # not a plain positional insert: take the general path
        await session.execute(insert(table), list(rows))
        return
    processors = [table.c[key].type._cached_bind_processor(dialect) for key in order]
    # Column by column, then zipped into rows: one tight loop per column costs less than a
    # generator and a call per cell.
    columns = [
        _bound([row[key] for row in rows], proc)
        for key, proc in zip(order, processors, strict=True)
    ]
    await connection.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


_UNSET = object()


def _bound(values: list[Any], proc: Any) -> list[Any]:
    """One column's values through its bind processor, reusing the last result when a value
    repeats: a chunk's rows share their district, status, timestamps and default profile parts."""
    if proc is None:
        return values
    out: list[Any] = []
    append = out.append
    last_in: Any = _UNSET
    last_out: Any = None
    for value in values:
        if value is None:
            append(None)
        elif value is last_in:
            append(last_out)
        else:
            last_in, last_out = value, proc(value)
            append(last_out)
    return out


async def update_many(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """``rows`` hold ``b_id`` and every column of ``columns``: one executemany statement."""
    if not rows:
        return
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in columns})
    )
    params = [{f"b_{k}" if k != "b_id" else k: v for k, v in row.items()} for row in rows]
    await session.execute(stmt, params)


async def mark_deleted(
    session: AsyncSession, table: Table, ids: Sequence[uuid.UUID], now: datetime
) -> None:
    for start in range(0, len(ids), CHUNK_IDS):
        chunk = list(ids[start : start + CHUNK_IDS])
        await session.execute(
            update(table).where(table.c.id.in_(chunk)).values(status="tobedeleted", updated_at=now)
        )


async def replace_roles_and_schools(
    session: AsyncSession,
    district_id: uuid.UUID,
    grants: Sequence[tuple[uuid.UUID, frozenset[str], frozenset[uuid.UUID]]],
    *,
    fresh: bool,
) -> None:
    """Set each user's roles and schools; ``fresh`` users have none yet (no delete needed)."""
    if not grants:
        return
    if not fresh:
        ids = [g[0] for g in grants]
        for start in range(0, len(ids), CHUNK_IDS):
            chunk = ids[start : start + CHUNK_IDS]
            await session.execute(delete(user_roles).where(user_roles.c.user_id.in_(chunk)))
            await session.execute(delete(user_schools).where(user_schools.c.user_id.in_(chunk)))
    role_rows = [
        {"user_id": uid, "role": role, "district_id": district_id}
        for uid, roles, _ in grants
        for role in sorted(roles)
    ]
    school_rows = [
        {"user_id": uid, "school_id": school, "district_id": district_id}
        for uid, _, school_ids in grants
        for school in school_ids
    ]
    await insert_many(session, user_roles, role_rows)
    await insert_many(session, user_schools, school_rows)


async def insert_job(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(import_jobs).values(**values))


async def update_job(session: AsyncSession, job_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(import_jobs).where(import_jobs.c.id == job_id).values(**values))


async def get_job(
    session: AsyncSession, job_id: uuid.UUID, district_id: uuid.UUID
) -> RowMapping | None:
    stmt = select(import_jobs).where(
        import_jobs.c.id == job_id, import_jobs.c.district_id == district_id
    )
    return (await session.execute(stmt)).mappings().first()


async def active_job(session: AsyncSession, district_id: uuid.UUID) -> RowMapping | None:
    """The district's queued or running import (at most one: a partial unique index)."""
    stmt = select(import_jobs).where(
        import_jobs.c.district_id == district_id, import_jobs.c.state.in_(ACTIVE_STATES)
    )
    return (await session.execute(stmt)).mappings().first()


async def active_jobs(session: AsyncSession) -> Sequence[RowMapping]:
    """Every district's queued or running jobs (start-up looks for abandoned ones)."""
    c = import_jobs.c
    stmt = select(c.id, c.runner, c.report, c.rows_done, c.rows_total, c.state).where(
        c.state.in_(ACTIVE_STATES)
    )
    return (await session.execute(stmt)).mappings().all()


async def job_by_key(
    session: AsyncSession, district_id: uuid.UUID, created_by: str, key: str
) -> RowMapping | None:
    c = import_jobs.c
    stmt = select(import_jobs).where(
        c.district_id == district_id, c.created_by == created_by, c.idempotency_key == key
    )
    return (await session.execute(stmt)).mappings().first()


async def list_jobs(
    session: AsyncSession, district_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> Sequence[RowMapping]:
    stmt = select(import_jobs).where(import_jobs.c.district_id == district_id)
    if after is not None:
        stmt = stmt.where(import_jobs.c.id < after)
    # Newest first: an operator looks for the run they just started.
    stmt = stmt.order_by(import_jobs.c.id.desc()).limit(limit + 1)
    return (await session.execute(stmt)).mappings().all()


async def count_rows(session: AsyncSession, table: Table, district_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(table).where(table.c.district_id == district_id)
    return int(await session.scalar(stmt) or 0)
