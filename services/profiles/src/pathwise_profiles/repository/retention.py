"""Legal holds, retention policies and pending deletions in SQL (docs/privacy.md). Every read
and write names the district: a caller reaches only its own district's rows."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import (
    academic_sessions,
    classes,
    enrollments,
    legal_holds,
    pending_deletions,
    retention_deletions,
    retention_policies,
    user_roles,
    users,
)

__all__ = [
    "audit_log_policies",
    "clear_stale",
    "count_deleted",
    "count_states",
    "due_pending",
    "enabled_policies",
    "enrollments_of",
    "get_hold",
    "get_policy",
    "hold_pending",
    "holds_of",
    "lift_hold",
    "list_state",
    "mark_run",
    "put_hold",
    "put_policy",
    "recent_deleted",
    "record_deleted",
    "student",
    "students_page",
    "upsert_pending",
]


def _insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Learners --------------------------------------------------------------------------------


def _students() -> Any:
    return select(users.c.id, users.c.status, users.c.updated_at, users.c.birth_date).join(
        user_roles, and_(user_roles.c.user_id == users.c.id, user_roles.c.role == "student")
    )


async def student(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> RowMapping | None:
    """The learner's user row, if they are a student of the district (any status)."""
    stmt = _students().where(users.c.district_id == district_id, users.c.id == learner_id)
    return (await session.execute(stmt)).mappings().one_or_none()


async def students_page(
    session: AsyncSession, district_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> Sequence[RowMapping]:
    stmt = _students().where(users.c.district_id == district_id)
    if after is not None:
        stmt = stmt.where(users.c.id > after)
    stmt = stmt.order_by(users.c.id).limit(limit)
    return (await session.execute(stmt)).mappings().all()


async def enrollments_of(
    session: AsyncSession, district_id: uuid.UUID, learner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RowMapping]]:
    """The learners' student enrollments (any status), with their class's session end."""
    stmt = (
        select(
            enrollments.c.user_id,
            enrollments.c.status,
            enrollments.c.end_date,
            enrollments.c.updated_at,
            academic_sessions.c.end_date.label("session_end"),
        )
        .join(classes, classes.c.id == enrollments.c.class_id)
        .outerjoin(academic_sessions, academic_sessions.c.id == classes.c.session_id)
        .where(
            enrollments.c.district_id == district_id,
            enrollments.c.role == "student",
            enrollments.c.user_id.in_(learner_ids),
        )
    )
    found: dict[uuid.UUID, list[RowMapping]] = defaultdict(list)
    for row in (await session.execute(stmt)).mappings():
        found[row["user_id"]].append(row)
    return found


# Legal holds -------------------------------------------------------------------------------


async def get_hold(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> RowMapping | None:
    stmt = select(legal_holds).where(
        legal_holds.c.district_id == district_id, legal_holds.c.learner_id == learner_id
    )
    return (await session.execute(stmt)).mappings().one_or_none()


async def holds_of(
    session: AsyncSession, district_id: uuid.UUID, learner_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, RowMapping]:
    stmt = select(legal_holds).where(
        legal_holds.c.district_id == district_id, legal_holds.c.learner_id.in_(list(learner_ids))
    )
    return {row["learner_id"]: row for row in (await session.execute(stmt)).mappings()}


async def put_hold(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """Set (or set again) the learner's hold: a new hold replaces a lifted one, its record
    of who lifted it goes."""
    stmt = _insert(session, legal_holds).values(**values, lifted_by=None, lifted_at=None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[legal_holds.c.learner_id],
        set_={
            **{k: stmt.excluded[k] for k in values if k not in {"learner_id", "district_id"}},
            "lifted_by": None,
            "lifted_at": None,
        },
    )
    await session.execute(stmt)


async def lift_hold(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    lifted_by: str,
    now: datetime,
) -> bool:
    """Lift the learner's hold if one is in place; whether one was."""
    stmt = (
        update(legal_holds)
        .where(
            legal_holds.c.district_id == district_id,
            legal_holds.c.learner_id == learner_id,
            legal_holds.c.lifted_at.is_(None),
        )
        .values(lifted_by=lifted_by, lifted_at=now)
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


# Policies ----------------------------------------------------------------------------------


async def get_policy(session: AsyncSession, district_id: uuid.UUID) -> RowMapping | None:
    stmt = select(retention_policies).where(retention_policies.c.district_id == district_id)
    return (await session.execute(stmt)).mappings().one_or_none()


async def put_policy(session: AsyncSession, values: Mapping[str, Any]) -> None:
    stmt = _insert(session, retention_policies).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[retention_policies.c.district_id],
        set_={k: stmt.excluded[k] for k in values if k != "district_id"},
    )
    await session.execute(stmt)


async def enabled_policies(session: AsyncSession) -> Sequence[RowMapping]:
    stmt = (
        select(retention_policies)
        .where(retention_policies.c.enabled.is_(True))
        .order_by(retention_policies.c.district_id)
    )
    return (await session.execute(stmt)).mappings().all()


async def audit_log_policies(
    session: AsyncSession, district_id: uuid.UUID | None
) -> Sequence[RowMapping]:
    """The districts whose policy is on and sets ``audit_log_days`` (``district_id``: that one
    only); an off policy keeps the audit log as it keeps the learners' data, whole."""
    stmt = select(retention_policies.c.district_id, retention_policies.c.audit_log_days).where(
        retention_policies.c.enabled.is_(True), retention_policies.c.audit_log_days.is_not(None)
    )
    if district_id is not None:
        stmt = stmt.where(retention_policies.c.district_id == district_id)
    return (await session.execute(stmt.order_by(retention_policies.c.district_id))).mappings().all()


async def mark_run(session: AsyncSession, district_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(retention_policies)
        .where(retention_policies.c.district_id == district_id)
        .values(last_run_at=now)
    )


# Pending deletions -------------------------------------------------------------------------


async def upsert_pending(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """Record a learner found due (``pending`` or ``held``); a row the deletion job marked
    ``deleted`` is never turned back. ``found_at`` keeps the first finding."""
    stmt = _insert(session, pending_deletions).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[pending_deletions.c.learner_id],
        set_={k: stmt.excluded[k] for k in ("state", "rule", "left_on", "due_since", "updated_at")},
        where=pending_deletions.c.state != "deleted",
    )
    await session.execute(stmt)


async def clear_stale(
    session: AsyncSession, district_id: uuid.UUID, run_at: datetime | None
) -> int:
    """Drop the pending and held rows this run did not find due again (enrolled again, the
    policy changed): every row it found has ``updated_at`` = ``run_at``. ``None``: drop them
    all (the district turned its policy off)."""
    stmt = delete(pending_deletions).where(
        pending_deletions.c.district_id == district_id,
        pending_deletions.c.state.in_(("pending", "held")),
    )
    if run_at is not None:
        stmt = stmt.where(pending_deletions.c.updated_at < run_at)
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def hold_pending(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, now: datetime
) -> None:
    """A hold set now takes a pending learner out of the deletion job's reach at once."""
    await session.execute(
        update(pending_deletions)
        .where(
            pending_deletions.c.district_id == district_id,
            pending_deletions.c.learner_id == learner_id,
            pending_deletions.c.state == "pending",
        )
        .values(state="held", updated_at=now)
    )


async def count_states(session: AsyncSession, district_id: uuid.UUID) -> dict[str, int]:
    stmt = (
        select(pending_deletions.c.state, func.count())
        .where(pending_deletions.c.district_id == district_id)
        .group_by(pending_deletions.c.state)
    )
    return {state: int(n) for state, n in (await session.execute(stmt)).all()}


async def list_state(
    session: AsyncSession, district_id: uuid.UUID, state: str, limit: int
) -> Sequence[RowMapping]:
    stmt = (
        select(pending_deletions)
        .where(pending_deletions.c.district_id == district_id, pending_deletions.c.state == state)
        .order_by(pending_deletions.c.due_since, pending_deletions.c.learner_id)
        .limit(limit)
    )
    return (await session.execute(stmt)).mappings().all()


async def due_pending(
    session: AsyncSession, district_id: uuid.UUID | None, limit: int
) -> Sequence[RowMapping]:
    """``pending`` rows of districts whose policy is still on (one district, or all), oldest due
    first: what the deletion job takes."""
    stmt = (
        select(pending_deletions)
        .join(
            retention_policies, retention_policies.c.district_id == pending_deletions.c.district_id
        )
        .where(pending_deletions.c.state == "pending", retention_policies.c.enabled.is_(True))
        .order_by(pending_deletions.c.due_since, pending_deletions.c.learner_id)
        .limit(limit)
    )
    if district_id is not None:
        stmt = stmt.where(pending_deletions.c.district_id == district_id)
    return (await session.execute(stmt)).mappings().all()


# Deletions carried out ---------------------------------------------------------------------


async def record_deleted(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """Record a deletion the policy made (again: nothing, the job may repeat a step)."""
    stmt = _insert(session, retention_deletions).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["deletion_id"]))


async def count_deleted(session: AsyncSession, district_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(retention_deletions.c.district_id == district_id)
    return int((await session.execute(stmt)).scalar_one())


async def recent_deleted(
    session: AsyncSession, district_id: uuid.UUID, limit: int
) -> Sequence[RowMapping]:
    stmt = (
        select(retention_deletions)
        .where(retention_deletions.c.district_id == district_id)
        .order_by(retention_deletions.c.deleted_at.desc(), retention_deletions.c.deletion_id)
        .limit(limit)
    )
    return (await session.execute(stmt)).mappings().all()
