"""Roster queries: keyset pages with filters, gets and writes scoped to one district."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import (
    classes,
    enrollments,
    guardian_links,
    user_roles,
    user_schools,
    users,
)
from pathwise_profiles.repository.access import active_enrollment

__all__ = [
    "class_filters",
    "common_filters",
    "count_active",
    "enrollment_exists",
    "enrollment_filters",
    "existing_ids",
    "get_row",
    "get_row_by_id",
    "guardian_link_exists",
    "guardian_link_filters",
    "insert_row",
    "list_page",
    "replace_user_roles",
    "replace_user_schools",
    "school_ids_of",
    "update_row",
    "user_filters",
]


async def list_page(
    session: AsyncSession,
    table: Table,
    district_id: uuid.UUID,
    conditions: Sequence[ColumnElement[bool]],
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[RowMapping]:
    """``limit + 1`` rows after the cursor, ordered by id (UUIDv7: creation order)."""
    stmt = select(table).where(table.c.district_id == district_id, *conditions)
    if after is not None:
        stmt = stmt.where(table.c.id > after)
    stmt = stmt.order_by(table.c.id).limit(limit + 1)
    return (await session.execute(stmt)).mappings().all()


def common_filters(
    table: Table, *, status: str | None, modified_since: datetime | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(table.c.status == status)
    if modified_since is not None:
        conditions.append(table.c.updated_at >= modified_since)
    return conditions


def class_filters(*, school_id: uuid.UUID | None, grade: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if school_id is not None:
        conditions.append(classes.c.school_id == school_id)
    if grade is not None:
        conditions.append(classes.c.grade == grade)
    return conditions


def enrollment_filters(
    *,
    class_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    school_id: uuid.UUID | None,
    role: str | None,
    school_ids: Sequence[uuid.UUID] | None,
) -> list[ColumnElement[bool]]:
    """``school_ids``: the schools the caller may see (None: the whole district)."""
    conditions: list[ColumnElement[bool]] = []
    if class_id is not None:
        conditions.append(enrollments.c.class_id == class_id)
    if user_id is not None:
        conditions.append(enrollments.c.user_id == user_id)
    if school_id is not None:
        conditions.append(enrollments.c.school_id == school_id)
    if school_ids is not None:
        conditions.append(enrollments.c.school_id.in_(school_ids))
    if role is not None:
        conditions.append(enrollments.c.role == role)
    return conditions


def guardian_link_filters(
    *, student_id: uuid.UUID | None, guardian_id: uuid.UUID | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if student_id is not None:
        conditions.append(guardian_links.c.student_id == student_id)
    if guardian_id is not None:
        conditions.append(guardian_links.c.guardian_id == guardian_id)
    return conditions


def user_filters(
    *,
    role: str | None,
    school_ids: Sequence[uuid.UUID] | None,
    class_id: uuid.UUID | None,
    grade: str | None,
    username: str | None,
    today: date,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if role is not None:
        conditions.append(
            exists(
                select(literal(1)).where(
                    user_roles.c.user_id == users.c.id, user_roles.c.role == role
                )
            )
        )
    if school_ids is not None:
        conditions.append(
            exists(
                select(literal(1)).where(
                    user_schools.c.user_id == users.c.id, user_schools.c.school_id.in_(school_ids)
                )
            )
        )
    if class_id is not None:
        conditions.append(
            exists(
                select(literal(1)).where(
                    enrollments.c.user_id == users.c.id,
                    enrollments.c.class_id == class_id,
                    active_enrollment(enrollments, today),
                )
            )
        )
    if grade is not None:
        conditions.append(users.c.grade == grade)
    if username is not None:
        conditions.append(users.c.username == username)
    return conditions


async def get_row(
    session: AsyncSession, table: Table, object_id: uuid.UUID, district_id: uuid.UUID
) -> RowMapping | None:
    stmt = select(table).where(table.c.id == object_id, table.c.district_id == district_id)
    return (await session.execute(stmt)).mappings().first()


async def get_row_by_id(
    session: AsyncSession, table: Table, object_id: uuid.UUID
) -> RowMapping | None:
    return (await session.execute(select(table).where(table.c.id == object_id))).mappings().first()


async def insert_row(session: AsyncSession, table: Table, values: dict[str, Any]) -> None:
    await session.execute(insert(table).values(**values))


async def update_row(
    session: AsyncSession, table: Table, object_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(update(table).where(table.c.id == object_id).values(**values))


async def update_row_status(
    session: AsyncSession, table: Table, object_id: uuid.UUID, values: dict[str, Any]
) -> str | None:
    """``update_row`` that answers the row's status after it (None: no such row)."""
    stmt = update(table).where(table.c.id == object_id).values(**values).returning(table.c.status)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return None if found is None else str(found)


async def end_enrollments_of(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> Sequence[RowMapping]:
    """Mark a user's active enrollments ``tobedeleted``; answers the rows it ended."""
    stmt = (
        update(enrollments)
        .where(enrollments.c.user_id == user_id, enrollments.c.status == "active")
        .values(status="tobedeleted", updated_at=now)
        .returning(
            enrollments.c.id,
            enrollments.c.district_id,
            enrollments.c.class_id,
            enrollments.c.user_id,
            enrollments.c.role,
        )
    )
    return (await session.execute(stmt)).mappings().all()


async def end_guardian_links_of(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> Sequence[RowMapping]:
    """Mark the active guardian links naming a user (either side) ``tobedeleted``."""
    stmt = (
        update(guardian_links)
        .where(
            or_(guardian_links.c.student_id == user_id, guardian_links.c.guardian_id == user_id),
            guardian_links.c.status == "active",
        )
        .values(status="tobedeleted", updated_at=now)
        .returning(guardian_links.c.id, guardian_links.c.student_id)
    )
    return (await session.execute(stmt)).mappings().all()


async def replace_user_roles(
    session: AsyncSession, user_id: uuid.UUID, district_id: uuid.UUID, roles: Sequence[str]
) -> None:
    await session.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
    if roles:
        await session.execute(
            insert(user_roles),
            [
                {"user_id": user_id, "role": r, "district_id": district_id}
                for r in sorted(set(roles))
            ],
        )


async def replace_user_schools(
    session: AsyncSession, user_id: uuid.UUID, district_id: uuid.UUID, schools: Sequence[uuid.UUID]
) -> None:
    await session.execute(delete(user_schools).where(user_schools.c.user_id == user_id))
    if schools:
        await session.execute(
            insert(user_schools),
            [
                {"user_id": user_id, "school_id": s, "district_id": district_id}
                for s in set(schools)
            ],
        )


async def school_ids_of(session: AsyncSession, user_id: uuid.UUID | None) -> list[uuid.UUID]:
    if user_id is None:
        return []
    result = await session.execute(
        select(user_schools.c.school_id).where(user_schools.c.user_id == user_id)
    )
    return list(result.scalars())


async def existing_ids(
    session: AsyncSession, table: Table, ids: Sequence[uuid.UUID], district_id: uuid.UUID
) -> set[uuid.UUID]:
    if not ids:
        return set()
    result = await session.execute(
        select(table.c.id).where(table.c.id.in_(ids), table.c.district_id == district_id)
    )
    return set(result.scalars())


async def enrollment_exists(
    session: AsyncSession, class_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> bool:
    stmt = select(literal(1)).where(
        enrollments.c.class_id == class_id,
        enrollments.c.user_id == user_id,
        enrollments.c.role == role,
        enrollments.c.status == "active",
    )
    return (await session.scalar(stmt)) is not None


async def guardian_link_exists(
    session: AsyncSession, guardian_id: uuid.UUID, student_id: uuid.UUID
) -> bool:
    stmt = select(literal(1)).where(
        guardian_links.c.guardian_id == guardian_id, guardian_links.c.student_id == student_id
    )
    return (await session.scalar(stmt)) is not None


async def count_active(session: AsyncSession, table: Table, district_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(table).where(table.c.district_id == district_id)
    return int(await session.scalar(stmt) or 0)
