"""Reads the other services depend on: principals, planning profiles, class learners."""

import uuid
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import RowMapping, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.access_rules import Relations
from pathwise_profiles.models import (
    classes,
    enrollments,
    goals,
    guardian_links,
    learner_profiles,
    schools,
    user_roles,
    user_schools,
    users,
)
from pathwise_profiles.repository.access import (
    DISTRICT,
    OBJECT,
    TODAY,
    AnySelect,
    active_enrollment,
    relation_columns,
    relation_names,
    relation_params,
    relations_from,
)
from pathwise_shared.auth import Principal
from pathwise_shared.db.uow import StatementReader

__all__ = [
    "children_of",
    "class_learners",
    "consent_with_facts",
    "find_users",
    "get_class",
    "goal_row",
    "linked_students",
    "people_by_id",
    "planning_rows",
    "roles_and_schools",
]


async def find_users(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None = None,
    username: str | None = None,
    sourced_id: str | None = None,
    district_id: uuid.UUID | None = None,
    limit: int = 2,
) -> Sequence[RowMapping]:
    stmt = select(users)
    if user_id is not None:
        stmt = stmt.where(users.c.id == user_id)
    if username is not None:
        stmt = stmt.where(users.c.username == username)
    if sourced_id is not None:
        stmt = stmt.where(users.c.sourced_id == sourced_id)
    if district_id is not None:
        stmt = stmt.where(users.c.district_id == district_id)
    return (await session.execute(stmt.limit(limit))).mappings().all()


async def people_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID], district_id: uuid.UUID | None
) -> Sequence[RowMapping]:
    """Names and status of the users among ``ids`` (in ``district_id`` unless None): one
    statement for any number of ids (the caller bounds them)."""
    if not ids:
        return []
    stmt = select(users.c.id, users.c.given_name, users.c.family_name, users.c.status).where(
        users.c.id.in_(ids)
    )
    if district_id is not None:
        stmt = stmt.where(users.c.district_id == district_id)
    return (await session.execute(stmt)).mappings().all()


async def roles_and_schools(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[str]], dict[uuid.UUID, list[uuid.UUID]]]:
    roles: dict[uuid.UUID, list[str]] = {uid: [] for uid in user_ids}
    school_ids: dict[uuid.UUID, list[uuid.UUID]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return roles, school_ids
    for uid, role in await session.execute(
        select(user_roles.c.user_id, user_roles.c.role)
        .where(user_roles.c.user_id.in_(user_ids))
        .order_by(user_roles.c.role)
    ):
        roles[uid].append(role)
    for uid, sid in await session.execute(
        select(user_schools.c.user_id, user_schools.c.school_id)
        .where(user_schools.c.user_id.in_(user_ids))
        .order_by(user_schools.c.school_id)
    ):
        school_ids[uid].append(sid)
    return roles, school_ids


async def linked_students(
    session: AsyncSession, guardian_id: uuid.UUID, district_id: uuid.UUID
) -> frozenset[uuid.UUID]:
    """The students a guardian has an active link to in their district."""
    stmt = select(guardian_links.c.student_id).where(
        guardian_links.c.guardian_id == guardian_id,
        guardian_links.c.district_id == district_id,
        guardian_links.c.status == "active",
    )
    return frozenset((await session.execute(stmt)).scalars())


async def goal_row(
    session: AsyncSession, learner_id: uuid.UUID, goal_id: uuid.UUID, district_id: uuid.UUID | None
) -> RowMapping | None:
    """The learner's goal ``goal_id`` (in ``district_id`` unless None: our system jobs)."""
    stmt = select(goals).where(goals.c.id == goal_id, goals.c.learner_id == learner_id)
    if district_id is not None:
        stmt = stmt.where(goals.c.district_id == district_id)
    return (await session.execute(stmt)).mappings().first()


async def planning_rows(
    session: AsyncSession, learner_id: uuid.UUID, district_id: uuid.UUID | None
) -> tuple[RowMapping, list[RowMapping]] | None:
    stmt = (
        select(learner_profiles, users.c.grade)
        .join(users, users.c.id == learner_profiles.c.learner_id)
        .where(learner_profiles.c.learner_id == learner_id)
    )
    if district_id is not None:
        stmt = stmt.where(learner_profiles.c.district_id == district_id)
    profile = (await session.execute(stmt)).mappings().first()
    if profile is None:
        return None
    goal_rows = (
        (
            await session.execute(
                select(goals).where(goals.c.learner_id == learner_id).order_by(goals.c.id)
            )
        )
        .mappings()
        .all()
    )
    return profile, list(goal_rows)


@cache
def _consent_with_facts(names: tuple[str, ...], scoped: bool) -> AnySelect:
    where = [learner_profiles.c.learner_id == OBJECT]
    if scoped:
        where.append(learner_profiles.c.district_id == DISTRICT)
    return select(
        learner_profiles.c.restrictions,
        learner_profiles.c.sharing,
        *relation_columns("learner", names),
    ).where(*where)


async def consent_with_facts(
    session: StatementReader, principal: Principal, learner_id: uuid.UUID, today: date
) -> tuple[Relations, RowMapping | None]:
    """A learner's consent settings (restrictions, sharing) and the principal's relations to
    them, in one statement: what the disclosure needs (the profile and the access check share
    the table and the scope, so one row answers both)."""
    scoped = principal.district_id is not None
    if not scoped and not principal.is_system:
        return Relations(found=False), None
    names = relation_names(principal, "learner")
    result = await session.execute(
        _consent_with_facts(names, scoped), relation_params(principal, learner_id, today)
    )
    row = result.mappings().first()
    if row is None:
        return Relations(found=False), None
    return relations_from(row, principal, "learner", learner_id, names), row


_CLASS = select(classes).where(classes.c.id == OBJECT)
_CLASS_IN_DISTRICT = _CLASS.where(classes.c.district_id == DISTRICT)


async def get_class(
    session: AsyncSession, class_id: uuid.UUID, district_id: uuid.UUID | None
) -> RowMapping | None:
    stmt = _CLASS if district_id is None else _CLASS_IN_DISTRICT
    params = {"object_id": class_id, "district_id": district_id}
    return (await session.execute(stmt, params)).mappings().first()


# The active students of a class with their consent settings: one statement for any class size.
_CLASS_LEARNERS = (
    select(
        users.c.id,
        users.c.given_name,
        users.c.family_name,
        users.c.grade,
        learner_profiles.c.restrictions,
        learner_profiles.c.sharing,
    )
    .join(enrollments, enrollments.c.user_id == users.c.id)
    .outerjoin(learner_profiles, learner_profiles.c.learner_id == users.c.id)
    .where(
        enrollments.c.class_id == bindparam("class_id"),
        enrollments.c.role == "student",
        active_enrollment(enrollments, TODAY),
        users.c.status == "active",
    )
    .order_by(users.c.family_name, users.c.given_name, users.c.id)
)


async def class_learners(
    session: AsyncSession, class_id: uuid.UUID, today: date
) -> list[dict[str, Any]]:
    stmt, params = _CLASS_LEARNERS, {"class_id": class_id, "today": today}
    return [
        {
            "id": r.id,
            "display_name": f"{r.given_name} {r.family_name}".strip(),
            "grade": r.grade,
            "restrictions": r.restrictions,
            "sharing": r.sharing,
        }
        for r in await session.execute(stmt, params)
    ]


async def children_of(
    session: AsyncSession, guardian_id: uuid.UUID, district_id: uuid.UUID, today: date
) -> tuple[RowMapping | None, list[dict[str, Any]]]:
    """A guardian's own row and their children in their district: each active link to an active
    student, with the student's schools and the classes they are actively enrolled in now."""
    me = (
        (
            await session.execute(
                select(users.c.id, users.c.preferred_language).where(
                    users.c.id == guardian_id, users.c.district_id == district_id
                )
            )
        )
        .mappings()
        .first()
    )
    if me is None:
        return None, []
    linked = (
        await session.execute(
            select(
                users.c.id,
                users.c.given_name,
                users.c.family_name,
                users.c.grade,
                guardian_links.c.relationship,
            )
            .join(guardian_links, guardian_links.c.student_id == users.c.id)
            .where(
                guardian_links.c.guardian_id == guardian_id,
                guardian_links.c.district_id == district_id,
                guardian_links.c.status == "active",
                users.c.district_id == district_id,
                users.c.status == "active",
            )
            .order_by(users.c.given_name, users.c.family_name, users.c.id)
        )
    ).all()
    children = {
        row.id: {
            "learner_id": row.id,
            "display_name": f"{row.given_name} {row.family_name}".strip(),
            "given_name": row.given_name,
            "grade": row.grade,
            "relationship": row.relationship,
            "schools": [],
            "classes": [],
        }
        for row in linked
    }
    if not children:
        return me, []
    ids = list(children)
    for learner, school_id, name in await session.execute(
        select(user_schools.c.user_id, schools.c.id, schools.c.name)
        .join(schools, schools.c.id == user_schools.c.school_id)
        .where(user_schools.c.user_id.in_(ids), schools.c.status == "active")
        .order_by(schools.c.name, schools.c.id)
    ):
        children[learner]["schools"].append({"id": school_id, "name": name})
    for learner, class_id, title, school_id in await session.execute(
        select(enrollments.c.user_id, classes.c.id, classes.c.title, classes.c.school_id)
        .join(classes, classes.c.id == enrollments.c.class_id)
        .where(
            enrollments.c.user_id.in_(ids),
            enrollments.c.role == "student",
            active_enrollment(enrollments, today),
            classes.c.status == "active",
        )
        .order_by(classes.c.title, classes.c.id)
    ):
        children[learner]["classes"].append(
            {"id": class_id, "title": title, "school_id": school_id}
        )
    return me, list(children.values())
