"""The access check's facts in one indexed query per call, from statements built once.

The statement selects the object by primary key within the district and adds one ``EXISTS``
column per relation the principal's roles could use (teacher → shared active class, guardian →
link, school admin → shared school). Roles the principal lacks add nothing, so a district admin's
check is a bare primary-key lookup.

Every value (the object, the user, the district, today) is a bound parameter, so each statement is
built once per shape (target, the relations asked, scoped to a district or not: a few dozen at
most) and then reused: building a statement and its cache key costs more than the query itself
at the rates the gateway asks. The profile read and the disclosure put these same relation
columns beside the profile's own columns (:func:`relation_columns`), so they answer access and
content in one round trip.
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Label,
    Select,
    and_,
    bindparam,
    exists,
    literal,
    or_,
    select,
)

from pathwise_profiles.domain.access_rules import Relations, TargetKind
from pathwise_profiles.models import classes, enrollments, guardian_links, schools, user_schools
from pathwise_profiles.models import learner_profiles as profiles
from pathwise_shared.auth import Principal
from pathwise_shared.db.driver import HotStatement
from pathwise_shared.db.uow import StatementReader

__all__ = [
    "DISTRICT",
    "OBJECT",
    "TODAY",
    "AnySelect",
    "active_enrollment",
    "load_relations",
    "relation_columns",
    "relation_names",
    "relation_params",
    "relations_from",
]

# The statements' parameters: the object checked, the calling user, their district, today.
OBJECT: BindParameter[uuid.UUID] = bindparam("object_id")
USER: BindParameter[uuid.UUID] = bindparam("user_id")
DISTRICT: BindParameter[uuid.UUID] = bindparam("district_id")
TODAY: BindParameter[date] = bindparam("today")

# Which relation each role can use, per target (a role absent from the principal adds no column).
_ROLE_RELATIONS: Mapping[TargetKind, tuple[tuple[str, str], ...]] = {
    "learner": (
        ("teacher", "teaches"),
        ("guardian", "guardian_of"),
        ("school_admin", "administers_school"),
    ),
    "class": (
        ("teacher", "teaches"),
        ("student", "enrolled"),
        ("school_admin", "administers_school"),
    ),
    # For a school, teaching there and administering it are the same fact: membership.
    "school": (("teacher", "member"), ("school_admin", "member")),
}


def active_enrollment(e: FromClause, today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """An enrollment counts while active and within its begin/end dates (open ends allowed)."""
    return and_(
        e.c.status == "active",
        or_(e.c.begin_date.is_(None), e.c.begin_date <= today),
        or_(e.c.end_date.is_(None), e.c.end_date >= today),
    )


def _teaches_learner() -> ColumnElement[bool]:
    t = enrollments.alias("t")
    s = enrollments.alias("s")
    return exists(
        select(literal(1))
        .select_from(t.join(s, s.c.class_id == t.c.class_id))
        .join(classes, classes.c.id == t.c.class_id)
        .where(
            t.c.user_id == USER,
            t.c.role == "teacher",
            active_enrollment(t, TODAY),
            s.c.user_id == OBJECT,
            s.c.role == "student",
            active_enrollment(s, TODAY),
            classes.c.status == "active",
        )
    )


def _guardian_of() -> ColumnElement[bool]:
    return exists(
        select(literal(1)).where(
            guardian_links.c.guardian_id == USER,
            guardian_links.c.student_id == OBJECT,
            guardian_links.c.status == "active",
        )
    )


def _enrolled(role: str) -> ColumnElement[bool]:
    e = enrollments.alias("e")
    return exists(
        select(literal(1))
        .select_from(e)
        .where(
            e.c.user_id == USER,
            e.c.class_id == OBJECT,
            e.c.role == role,
            active_enrollment(e, TODAY),
        )
    )


def _shares_school() -> ColumnElement[bool]:
    a = user_schools.alias("a")
    b = user_schools.alias("b")
    return exists(
        select(literal(1))
        .select_from(a.join(b, a.c.school_id == b.c.school_id))
        .where(a.c.user_id == USER, b.c.user_id == OBJECT)
    )


def _member_of(school: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
    m = user_schools.alias("m")
    return exists(
        select(literal(1)).select_from(m).where(m.c.user_id == USER, m.c.school_id == school)
    )


def _relation(target: TargetKind, name: str) -> ColumnElement[bool]:
    if target == "learner":
        if name == "teaches":
            return _teaches_learner()
        if name == "guardian_of":
            return _guardian_of()
        return _shares_school()
    if target == "class":
        if name == "teaches":
            return _enrolled("teacher")
        if name == "enrolled":
            return _enrolled("student")
        return _member_of(classes.c.school_id)
    return _member_of(OBJECT)


@cache
def relation_columns(target: TargetKind, names: tuple[str, ...]) -> tuple[Label[bool], ...]:
    """The ``EXISTS`` columns for these relations (labelled ``rel_<name>``), built once."""
    return tuple(_relation(target, name).label(f"rel_{name}") for name in names)


def relation_names(principal: Principal, target: TargetKind) -> tuple[str, ...]:
    """The relations worth asking about for this principal: only a user's roles use any."""
    if principal.kind != "user" or principal.user_id is None:
        return ()
    roles = principal.roles
    return tuple(dict.fromkeys(name for role, name in _ROLE_RELATIONS[target] if role in roles))


def relation_params(principal: Principal, object_id: uuid.UUID, today: date) -> dict[str, Any]:
    """The parameters of any statement carrying relation columns."""
    return {
        "object_id": object_id,
        "user_id": principal.user_id,
        "district_id": principal.district_id,
        "today": today,
    }


def relations_from(
    row: Mapping[Any, Any],
    principal: Principal,
    target: TargetKind,
    object_id: uuid.UUID,
    names: Sequence[str],
) -> Relations:
    """The facts a found row's relation columns state."""
    facts = {name: bool(row[f"rel_{name}"]) for name in names}
    if "member" in facts:
        member = facts.pop("member")
        facts["teaches"] = facts["administers_school"] = member
    uid = principal.user_id if principal.kind == "user" else None
    return Relations(
        found=True, is_self=target == "learner" and uid is not None and uid == object_id, **facts
    )


# A statement of any columns (the relation columns vary with the principal).
AnySelect = Select[*tuple[Any, ...]]

_BASES: Mapping[TargetKind, tuple[FromClause, ColumnElement[uuid.UUID], ColumnElement[uuid.UUID]]]
_BASES = {
    "learner": (profiles, profiles.c.learner_id, profiles.c.district_id),
    "class": (classes, classes.c.id, classes.c.district_id),
    "school": (schools, schools.c.id, schools.c.district_id),
}


@cache
def _facts_read(target: TargetKind, names: tuple[str, ...], scoped: bool) -> HotStatement:
    """The check's one statement on the driver: every guarded route of profiles runs it, and the
    gateway's object check on a cache miss (``POST /internal/access-check``)."""
    return HotStatement(_facts_statement(target, names, scoped))


@cache
def _facts_statement(target: TargetKind, names: tuple[str, ...], scoped: bool) -> AnySelect:
    base, key, district = _BASES[target]
    where = [key == OBJECT]
    if scoped:
        where.append(district == DISTRICT)
    return (
        select(literal(1).label("found"), *relation_columns(target, names))
        .select_from(base)
        .where(*where)
    )


async def load_relations(
    session: StatementReader,
    principal: Principal,
    target: TargetKind,
    object_id: uuid.UUID,
    today: date,
) -> Relations:
    scoped = principal.district_id is not None
    if not scoped and not principal.is_system:
        # A user or client without a district sees nothing.
        return Relations(found=False)
    names = relation_names(principal, target)
    rows = await _facts_read(target, names, scoped).mappings(
        session, relation_params(principal, object_id, today)
    )
    if not rows:
        return Relations(found=False)
    return relations_from(rows[0], principal, target, object_id, names)
