"""Notifications and preferences in SQL (docs/profiles.md, "Notifications"). Every read of a feed
is scoped to the district and the user together: a user reads and marks only their own rows."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, RowMapping, Table, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import (
    classes,
    enrollments,
    guardian_links,
    notification_preferences,
    notifications,
    users,
)
from pathwise_profiles.repository.access import active_enrollment

__all__ = [
    "active_users",
    "claim_due",
    "feed",
    "get_preferences",
    "guardians_of",
    "insert_notification",
    "learner_user",
    "mark_all_read",
    "mark_read",
    "preferences_of",
    "put_preferences",
    "teachers_of",
]


def _insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _active_user() -> Any:
    return and_(users.c.status == "active", users.c.enabled.is_(True))


async def learner_user(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> uuid.UUID | None:
    """The learner's own user id when it is an active user of the district."""
    found = await session.scalar(
        select(users.c.id).where(
            users.c.id == learner_id, users.c.district_id == district_id, _active_user()
        )
    )
    return found


async def guardians_of(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(guardian_links.c.guardian_id)
        .join(users, users.c.id == guardian_links.c.guardian_id)
        .where(
            guardian_links.c.district_id == district_id,
            guardian_links.c.student_id == learner_id,
            guardian_links.c.status == "active",
            _active_user(),
        )
        .order_by(guardian_links.c.guardian_id)
    )
    return list(rows)


async def teachers_of(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, today: date
) -> list[uuid.UUID]:
    """Teachers of an active class the learner is actively enrolled in (the access check's
    ``teaches`` relation)."""
    t = enrollments.alias("t")
    s = enrollments.alias("s")
    rows = await session.scalars(
        select(t.c.user_id)
        .distinct()
        .select_from(t.join(s, s.c.class_id == t.c.class_id))
        .join(classes, classes.c.id == t.c.class_id)
        .join(users, users.c.id == t.c.user_id)
        .where(
            t.c.district_id == district_id,
            t.c.role == "teacher",
            active_enrollment(t, today),
            s.c.user_id == learner_id,
            s.c.role == "student",
            active_enrollment(s, today),
            classes.c.status == "active",
            _active_user(),
        )
        .order_by(t.c.user_id)
    )
    return list(rows)


async def active_users(
    session: AsyncSession, district_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """Those of ``ids`` that are active users of the district (others are dropped)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = await session.scalars(
        select(users.c.id)
        .where(users.c.district_id == district_id, users.c.id.in_(wanted), _active_user())
        .order_by(users.c.id)
    )
    return list(rows)


async def preferences_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RowMapping]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(notification_preferences).where(notification_preferences.c.user_id.in_(user_ids))
    )
    return {row.user_id: row for row in rows.mappings()}


async def get_preferences(
    session: AsyncSession, district_id: uuid.UUID, user_id: uuid.UUID
) -> RowMapping | None:
    row = await session.execute(
        select(notification_preferences).where(
            notification_preferences.c.user_id == user_id,
            notification_preferences.c.district_id == district_id,
        )
    )
    return row.mappings().one_or_none()


async def put_preferences(session: AsyncSession, values: Mapping[str, Any]) -> None:
    stmt = _insert(session, notification_preferences).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[notification_preferences.c.user_id],
        set_={k: stmt.excluded[k] for k in values if k not in {"user_id", "district_id"}},
    )
    await session.execute(stmt)


async def insert_notification(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Add the row unless this event already notified this user; whether it was new. One
    statement (no read-then-write), so two deliveries of one event at once add one row."""
    stmt = _insert(session, notifications).values(**values)
    stmt = stmt.on_conflict_do_nothing(
        index_elements=[notifications.c.source_event_id, notifications.c.user_id]
    ).returning(notifications.c.id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def feed(
    session: AsyncSession,
    district_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    unread: bool,
) -> Sequence[RowMapping]:
    """The user's feed, newest first, ``limit + 1`` rows (the extra one says there is more)."""
    stmt = select(notifications).where(
        notifications.c.user_id == user_id,
        notifications.c.district_id == district_id,
        notifications.c.in_feed.is_(True),
    )
    if before is not None:
        stmt = stmt.where(notifications.c.id < before)
    if unread:
        stmt = stmt.where(notifications.c.read_at.is_(None))
    rows = await session.execute(stmt.order_by(notifications.c.id.desc()).limit(limit + 1))
    return rows.mappings().all()


async def unread_count(session: AsyncSession, district_id: uuid.UUID, user_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(notifications)
        .where(
            notifications.c.user_id == user_id,
            notifications.c.district_id == district_id,
            notifications.c.in_feed.is_(True),
            notifications.c.read_at.is_(None),
        )
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession,
    district_id: uuid.UUID,
    user_id: uuid.UUID,
    notification_id: uuid.UUID,
    now: datetime,
) -> RowMapping | None:
    """Mark the user's own notification read (the first read time stays); the row, or None
    when the user has no such notification in their feed."""
    mine = and_(
        notifications.c.id == notification_id,
        notifications.c.user_id == user_id,
        notifications.c.district_id == district_id,
        notifications.c.in_feed.is_(True),
    )
    await session.execute(
        update(notifications).where(mine, notifications.c.read_at.is_(None)).values(read_at=now)
    )
    row = await session.execute(select(notifications).where(mine))
    return row.mappings().one_or_none()


async def mark_all_read(
    session: AsyncSession, district_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> int:
    result = await session.execute(
        update(notifications)
        .where(
            notifications.c.user_id == user_id,
            notifications.c.district_id == district_id,
            notifications.c.in_feed.is_(True),
            notifications.c.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Take up to ``limit`` deferred deliveries whose time has come, clearing their
    ``deliver_at`` in the same statement: a concurrent sweep (another replica) waits on the row
    and then no longer matches it, so each is delivered once."""
    due = (
        select(notifications.c.id)
        .where(notifications.c.deliver_at.is_not(None), notifications.c.deliver_at <= now)
        .order_by(notifications.c.deliver_at, notifications.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        update(notifications)
        .where(notifications.c.id.in_(due), notifications.c.deliver_at.is_not(None))
        .values(deliver_at=None, delivered_at=now)
        .returning(
            notifications.c.id,
            notifications.c.district_id,
            notifications.c.user_id,
            notifications.c.kind,
            notifications.c.learner_id,
            notifications.c.title,
            notifications.c.channels,
        )
    )
    return result.all()
