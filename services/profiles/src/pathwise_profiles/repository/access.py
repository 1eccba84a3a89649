"""The access check's facts in one indexed query per call.

The statement selects the object by primary key within the district and adds one ``EXISTS``
column per relation the principal's roles could use (teacher → shared active class, guardian →
link, school admin → shared school). Roles the principal lacks add nothing, so a district admin's
check is a bare primary-key lookup.
"""

import uuid
from datetime import date

from sqlalchemy import ColumnElement, FromClause, and_, exists, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import KeyedColumnElement

from pathwise_profiles.domain.access_rules import Relations, TargetKind
from pathwise_profiles.models import classes, enrollments, guardian_links, schools, user_schools
from pathwise_profiles.models import learner_profiles as profiles
from pathwise_shared.auth import Principal

__all__ = ["active_enrollment", "load_relations"]


def active_enrollment(e: FromClause, today: date) -> ColumnElement[bool]:
    """An enrollment counts while active and within its begin/end dates (open ends allowed)."""
    return and_(
        e.c.status == "active",
        or_(e.c.begin_date.is_(None), e.c.begin_date <= today),
        or_(e.c.end_date.is_(None), e.c.end_date >= today),
    )


def _teaches_learner(user_id: uuid.UUID, learner_id: uuid.UUID, today: date) -> ColumnElement[bool]:
    t = enrollments.alias("t")
    s = enrollments.alias("s")
    return exists(
        select(literal(1))
        .select_from(t.join(s, s.c.class_id == t.c.class_id))
        .join(classes, classes.c.id == t.c.class_id)
        .where(
            t.c.user_id == user_id,
            t.c.role == "teacher",
            active_enrollment(t, today),
            s.c.user_id == learner_id,
            s.c.role == "student",
            active_enrollment(s, today),
            classes.c.status == "active",
        )
    )


def _enrolled(
    user_id: uuid.UUID, class_col: KeyedColumnElement[uuid.UUID], role: str, today: date
) -> ColumnElement[bool]:
    e = enrollments.alias("e")
    return exists(
        select(literal(1))
        .select_from(e)
        .where(
            e.c.user_id == user_id,
            e.c.class_id == class_col,
            e.c.role == role,
            active_enrollment(e, today),
        )
    )


def _shares_school(
    user_id: uuid.UUID, other_user: KeyedColumnElement[uuid.UUID]
) -> ColumnElement[bool]:
    a = user_schools.alias("a")
    b = user_schools.alias("b")
    return exists(
        select(literal(1))
        .select_from(a.join(b, a.c.school_id == b.c.school_id))
        .where(a.c.user_id == user_id, b.c.user_id == other_user)
    )


def _member_of(
    user_id: uuid.UUID, school_col: KeyedColumnElement[uuid.UUID]
) -> ColumnElement[bool]:
    m = user_schools.alias("m")
    return exists(
        select(literal(1)).select_from(m).where(m.c.user_id == user_id, m.c.school_id == school_col)
    )


async def load_relations(
    session: AsyncSession,
    principal: Principal,
    target: TargetKind,
    object_id: uuid.UUID,
    today: date,
) -> Relations:
    district_id = principal.district_id
    uid = principal.user_id if principal.kind == "user" else None
    roles = principal.roles if uid is not None else frozenset()
    columns: dict[str, ColumnElement[bool]] = {}

    if target == "learner":
        base = profiles
        where = [profiles.c.learner_id == object_id]
        if district_id is not None:
            where.append(profiles.c.district_id == district_id)
        if uid is not None and "teacher" in roles:
            columns["teaches"] = _teaches_learner(uid, object_id, today)
        if uid is not None and "guardian" in roles:
            columns["guardian_of"] = exists(
                select(literal(1)).where(
                    guardian_links.c.guardian_id == uid,
                    guardian_links.c.student_id == object_id,
                    guardian_links.c.status == "active",
                )
            )
        if uid is not None and "school_admin" in roles:
            columns["administers_school"] = _shares_school(uid, profiles.c.learner_id)
    elif target == "class":
        base = classes
        where = [classes.c.id == object_id]
        if district_id is not None:
            where.append(classes.c.district_id == district_id)
        if uid is not None and "teacher" in roles:
            columns["teaches"] = _enrolled(uid, classes.c.id, "teacher", today)
        if uid is not None and "student" in roles:
            columns["enrolled"] = _enrolled(uid, classes.c.id, "student", today)
        if uid is not None and "school_admin" in roles:
            columns["administers_school"] = _member_of(uid, classes.c.school_id)
    else:
        base = schools
        where = [schools.c.id == object_id]
        if district_id is not None:
            where.append(schools.c.district_id == district_id)
        if uid is not None and roles & {"teacher", "school_admin"}:
            member = _member_of(uid, schools.c.id)
            columns["teaches"] = member
            columns["administers_school"] = member

    if district_id is None and not principal.is_system:
        # A user or client without a district sees nothing.
        where.append(false())
    stmt = (
        select(literal(1).label("found"), *(col.label(name) for name, col in columns.items()))
        .select_from(base)
        .where(*where)
    )
    row = (await session.execute(stmt)).mappings().first()
    if row is None:
        return Relations(found=False)
    return Relations(
        found=True,
        is_self=target == "learner" and uid is not None and uid == object_id,
        **{name: bool(row[name]) for name in columns},
    )
