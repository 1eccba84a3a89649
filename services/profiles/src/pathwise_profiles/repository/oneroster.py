"""The OneRoster REST reads: one view per collection, the binding's field names mapped onto it,
typed conditions turned into SQL, offset pages with their total.

Each view is a subquery whose columns are the rows ``domain/oneroster_rest.py`` shapes (a
record's own columns and, for each record it points at, ``<name>_id`` and
``<name>_sourced_id``), plus ``district_id`` and, where a school scopes it, ``school_id``. A
filter or sort field is a column of the view (``FIELD_COLUMNS``); a sourcedId field is a pair of
columns (the district's sourcedId, else our id), so ``school.sourcedId='s1'`` and a school
without a sourcedId named by our id both work.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    String,
    Subquery,
    Uuid,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.oneroster_query import Condition, Paging, Sort
from pathwise_profiles.domain.oneroster_rest import ROLE_IN, Ref
from pathwise_profiles.models import (
    academic_sessions,
    classes,
    courses,
    districts,
    enrollments,
    guardian_links,
    schools,
    user_roles,
    user_schools,
    users,
)
from pathwise_profiles.repository.access import active_enrollment

__all__ = [
    "FIELD_COLUMNS",
    "Listing",
    "agents_of",
    "by_sourced_id",
    "district_ref",
    "enrolled_in",
    "fetch_page",
    "in_schools",
    "matches",
    "member_of",
    "roles_of",
    "schools_of",
    "schools_of_district",
    "view",
    "where_filter",
    "with_role",
]

# A filter or sort field → its view column, or (sourcedId column, id column) for a reference.
FIELD_COLUMNS: dict[str, dict[str, str | tuple[str, str]]] = {
    "orgs": {"name": "name", "type": "type", "identifier": "identifier",
             "parent.sourcedId": ("parent_sourced_id", "parent_id")},
    "academicSessions": {"title": "title", "type": "type", "startDate": "start_date",
                         "endDate": "end_date", "schoolYear": "school_year",
                         "parent.sourcedId": ("parent_sourced_id", "parent_id")},
    "courses": {"title": "title", "courseCode": "course_code",
                "org.sourcedId": ("org_sourced_id", "org_id")},
    "classes": {"title": "title", "classCode": "class_code",
                "school.sourcedId": ("school_sourced_id", "school_id"),
                "course.sourcedId": ("course_sourced_id", "course_id"),
                "terms.sourcedId": ("session_sourced_id", "session_id")},
    "users": {"username": "username", "givenName": "given_name", "familyName": "family_name",
              "email": "email", "enabledUser": "enabled", "grades": "grade"},
    "enrollments": {"role": "role", "primary": "is_primary", "beginDate": "begin_date",
                    "endDate": "end_date", "user.sourcedId": ("user_sourced_id", "user_id"),
                    "class.sourcedId": ("class_sourced_id", "class_id"),
                    "school.sourcedId": ("school_sourced_id", "school_id")},
}  # fmt: skip
_COMMON_COLUMNS: dict[str, str | tuple[str, str]] = {
    "sourcedId": ("sourced_id", "id"),
    "status": "status",
    "dateLastModified": "updated_at",
}


def _orgs() -> Subquery:
    d, s = districts.alias("d"), schools.alias("s")
    the_district = select(
        d.c.id, d.c.sourced_id, d.c.status, d.c.updated_at, d.c.name,
        literal("district", String).label("type"),
        cast(null(), String).label("identifier"),
        cast(null(), Uuid).label("parent_id"),
        cast(null(), String).label("parent_sourced_id"),
        d.c.id.label("district_id"),
        cast(null(), Uuid).label("school_id"),
    )  # fmt: skip
    its_schools = select(
        s.c.id, s.c.sourced_id, s.c.status, s.c.updated_at, s.c.name,
        literal("school", String).label("type"),
        s.c.identifier,
        s.c.district_id.label("parent_id"),
        d.c.sourced_id.label("parent_sourced_id"),
        s.c.district_id,
        s.c.id.label("school_id"),
    ).join(d, d.c.id == s.c.district_id)  # fmt: skip
    return union_all(the_district, its_schools).subquery("orgs")


def _sessions() -> Subquery:
    a, p = academic_sessions, academic_sessions.alias("p")
    return (
        select(
            a.c.id,
            a.c.sourced_id,
            a.c.status,
            a.c.updated_at,
            a.c.title,
            a.c.type,
            a.c.start_date,
            a.c.end_date,
            a.c.school_year,
            a.c.parent_id,
            p.c.sourced_id.label("parent_sourced_id"),
            a.c.district_id,
        )
        .outerjoin(p, p.c.id == a.c.parent_id)
        .subquery("academic_sessions")
    )


def _courses() -> Subquery:
    c, s, d = courses, schools.alias("s"), districts.alias("d")
    return (
        select(
            c.c.id,
            c.c.sourced_id,
            c.c.status,
            c.c.updated_at,
            c.c.title,
            c.c.course_code,
            c.c.grades,
            c.c.school_id,
            s.c.sourced_id.label("school_sourced_id"),
            # A course without a school is the district's.
            func.coalesce(c.c.school_id, c.c.district_id).label("org_id"),
            case((c.c.school_id.is_(None), d.c.sourced_id), else_=s.c.sourced_id).label(
                "org_sourced_id"
            ),
            c.c.district_id,
        )
        .outerjoin(s, s.c.id == c.c.school_id)
        .join(d, d.c.id == c.c.district_id)
        .subquery("courses")
    )


def _classes() -> Subquery:
    c, s = classes, schools.alias("s")
    co, se = courses.alias("co"), academic_sessions.alias("se")
    return (
        select(
            c.c.id,
            c.c.sourced_id,
            c.c.status,
            c.c.updated_at,
            c.c.title,
            c.c.class_code,
            c.c.grades,
            c.c.school_id,
            s.c.sourced_id.label("school_sourced_id"),
            c.c.course_id,
            co.c.sourced_id.label("course_sourced_id"),
            c.c.session_id,
            se.c.sourced_id.label("session_sourced_id"),
            c.c.district_id,
        )
        .join(s, s.c.id == c.c.school_id)
        .outerjoin(co, co.c.id == c.c.course_id)
        .outerjoin(se, se.c.id == c.c.session_id)
        .subquery("classes")
    )


def _users() -> Subquery:
    u = users
    return select(
        u.c.id, u.c.sourced_id, u.c.status, u.c.updated_at, u.c.username, u.c.email,
        u.c.given_name, u.c.family_name, u.c.grade, u.c.enabled, u.c.district_id,
    ).subquery("users")  # fmt: skip


def _enrollments() -> Subquery:
    e, u, c, s = enrollments, users.alias("u"), classes.alias("c"), schools.alias("s")
    return (
        select(
            e.c.id,
            e.c.sourced_id,
            e.c.status,
            e.c.updated_at,
            e.c.role,
            e.c.is_primary,
            e.c.begin_date,
            e.c.end_date,
            e.c.user_id,
            u.c.sourced_id.label("user_sourced_id"),
            e.c.class_id,
            c.c.sourced_id.label("class_sourced_id"),
            e.c.school_id,
            s.c.sourced_id.label("school_sourced_id"),
            e.c.district_id,
        )
        .join(u, u.c.id == e.c.user_id)
        .join(c, c.c.id == e.c.class_id)
        .join(s, s.c.id == e.c.school_id)
        .subquery("enrollments")
    )


_VIEWS = {
    "orgs": _orgs,
    "academicSessions": _sessions,
    "courses": _courses,
    "classes": _classes,
    "users": _users,
    "enrollments": _enrollments,
}


def view(collection: str) -> Subquery:
    return _VIEWS[collection]()


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def matches(v: Subquery, sourced: str, object_id: str, value: str) -> ColumnElement[bool]:
    """A record named by ``value``: its sourcedId, or our id when it has no sourcedId.

    Never NULL (each comparison is guarded), so ``NOT`` of it is exact: ``sourcedId!='x'``
    keeps a record without a sourcedId, and a missing reference differs from every value."""
    ours = _as_uuid(value)
    named = and_(v.c[sourced].is_not(None), v.c[sourced] == value)
    if ours is None:
        return named
    by_ours = and_(v.c[sourced].is_(None), v.c[object_id].is_not(None), v.c[object_id] == ours)
    return or_(named, by_ours)


def _role_condition(v: Subquery, cond: Condition) -> ColumnElement[bool]:
    ours = ROLE_IN.get(str(cond.value))
    # A OneRoster role we have no equivalent of (aide, proctor) is held by no one.
    held = (
        exists().where(user_roles.c.user_id == v.c.id, user_roles.c.role == ours)
        if ours is not None
        else false()
    )
    return held if cond.op == "=" else not_(held)


def _condition(collection: str, v: Subquery, cond: Condition) -> ColumnElement[bool]:
    if cond.type == "role":
        return _role_condition(v, cond)
    target = {**_COMMON_COLUMNS, **FIELD_COLUMNS[collection]}[cond.field]
    if isinstance(target, tuple):
        named = matches(v, target[0], target[1], str(cond.value))
        return named if cond.op == "=" else not_(named)
    column: ColumnElement[Any] = v.c[target]
    value = cond.value
    if cond.op == "~":
        # Contains, regardless of case; LIKE's own wildcards in the value are taken literally.
        escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.ilike(f"%{escaped}%", escape="\\")
    if cond.op == "=":
        return column == value
    if cond.op == "!=":
        # SQL's NULL != 'x' is unknown; in OneRoster a record with no value differs from 'x'.
        return or_(column != value, column.is_(None))
    if cond.op == ">":
        return column > value
    if cond.op == ">=":
        return column >= value
    if cond.op == "<":
        return column < value
    return column <= value


def where_filter(
    collection: str, v: Subquery, conditions: Sequence[Condition], logic: str
) -> ColumnElement[bool]:
    parts = [_condition(collection, v, c) for c in conditions]
    if not parts:
        return true()
    return and_(*parts) if logic == "AND" else or_(*parts)


def _order(collection: str, v: Subquery, sort: Sort | None) -> list[Any]:
    if sort is None:
        return [v.c.id]
    target = {**_COMMON_COLUMNS, **FIELD_COLUMNS[collection]}[sort.field]
    # A sourcedId sorts by the district's; records without one come first, by our id.
    column: Any = func.coalesce(v.c[target[0]], "") if isinstance(target, tuple) else v.c[target]
    key = column.desc() if sort.descending else column.asc()
    return [key, v.c.id.desc() if sort.descending else v.c.id]


@dataclass(frozen=True)
class Listing:
    rows: Sequence[RowMapping]
    total: int


async def fetch_page(
    session: AsyncSession,
    collection: str,
    v: Subquery,
    where: Sequence[ColumnElement[bool]],
    sort: Sort | None,
    paging: Paging,
) -> Listing:
    """One page in a stable order (the sort field, then our id) and how many match in all."""
    total = await session.scalar(select(func.count()).select_from(v).where(*where))
    stmt = (
        select(v)
        .where(*where)
        .order_by(*_order(collection, v, sort))
        .limit(paging.limit)
        .offset(paging.offset)
    )
    rows = (await session.execute(stmt)).mappings().all()
    return Listing(rows, int(total or 0))


async def by_sourced_id(
    session: AsyncSession, v: Subquery, sourced_id: str, where: Sequence[ColumnElement[bool]]
) -> RowMapping | None:
    stmt = select(v).where(matches(v, "sourced_id", "id", sourced_id), *where).limit(1)
    return (await session.execute(stmt)).mappings().first()


def in_schools(
    collection: str, v: Subquery, school_ids: Sequence[uuid.UUID]
) -> ColumnElement[bool]:
    """The records a school admin of ``school_ids`` sees: the district org and those schools;
    classes and enrollments of those schools; courses of those schools or of the whole district;
    users who belong to one of them. Sessions are the district's: all of them."""
    if collection == "orgs":
        return or_(v.c.type == "district", v.c.school_id.in_(school_ids))
    if collection == "courses":
        return or_(v.c.school_id.is_(None), v.c.school_id.in_(school_ids))
    if collection in ("classes", "enrollments"):
        return v.c.school_id.in_(school_ids)
    if collection == "users":
        return exists().where(
            user_schools.c.user_id == v.c.id, user_schools.c.school_id.in_(school_ids)
        )
    return true()


def enrolled_in(v: Subquery, class_id: uuid.UUID, role: str, today: date) -> ColumnElement[bool]:
    """Users with a current enrollment of ``role`` in the class (as the class roster shows)."""
    return exists().where(
        enrollments.c.user_id == v.c.id,
        enrollments.c.class_id == class_id,
        enrollments.c.role == role,
        active_enrollment(enrollments, today),
    )


def with_role(v: Subquery, role: str) -> ColumnElement[bool]:
    return exists().where(user_roles.c.user_id == v.c.id, user_roles.c.role == role)


def member_of(v: Subquery, school_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(user_schools.c.user_id == v.c.id, user_schools.c.school_id == school_id)


async def district_ref(session: AsyncSession, district_id: uuid.UUID) -> Ref:
    sid = await session.scalar(select(districts.c.sourced_id).where(districts.c.id == district_id))
    return Ref("org", district_id, sid)


async def schools_of_district(session: AsyncSession, district_id: uuid.UUID) -> list[Ref]:
    rows = await session.execute(
        select(schools.c.id, schools.c.sourced_id)
        .where(schools.c.district_id == district_id)
        .order_by(schools.c.id)
    )
    return [Ref("org", i, s) for i, s in rows]


async def schools_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Ref]]:
    """Each user's schools (a page's users in one query)."""
    found: dict[uuid.UUID, list[Ref]] = {u: [] for u in user_ids}
    if not user_ids:
        return found
    rows = await session.execute(
        select(user_schools.c.user_id, schools.c.id, schools.c.sourced_id)
        .join(schools, schools.c.id == user_schools.c.school_id)
        .where(user_schools.c.user_id.in_(user_ids))
        .order_by(user_schools.c.user_id, schools.c.id)
    )
    for user_id, school_id, sid in rows:
        found[user_id].append(Ref("org", school_id, sid))
    return found


async def roles_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {u: [] for u in user_ids}
    if not user_ids:
        return found
    rows = await session.execute(
        select(user_roles.c.user_id, user_roles.c.role).where(user_roles.c.user_id.in_(user_ids))
    )
    for user_id, role in rows:
        found[user_id].append(role)
    return found


async def agents_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Ref]]:
    """Each user's linked users: a student's guardians and a guardian's children (active links)."""
    found: dict[uuid.UUID, list[Ref]] = {u: [] for u in user_ids}
    if not user_ids:
        return found
    g, other = guardian_links, users.alias("other")
    for mine, theirs in ((g.c.student_id, g.c.guardian_id), (g.c.guardian_id, g.c.student_id)):
        rows = await session.execute(
            select(mine, other.c.id, other.c.sourced_id)
            .join(other, other.c.id == theirs)
            .where(mine.in_(user_ids), g.c.status == "active")
            .order_by(mine, other.c.id)
        )
        for user_id, agent_id, sid in rows:
            found[user_id].append(Ref("user", agent_id, sid))
    return found
