"""Roster use cases: create, read, list, change and (soft) delete, scoped to the caller's district.

School admins manage only their own schools' records; district admins the whole district; a
teacher reads. Every reference in a body (school, course, session, user, class) must exist in the
caller's district, or the request is refused before anything is written.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, RowMapping, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.profile import default_profile
from pathwise_profiles.models import (
    academic_sessions,
    classes,
    courses,
    districts,
    enrollments,
    guardian_links,
    learner_profiles,
    schools,
    users,
)
from pathwise_profiles.repository import lookups
from pathwise_profiles.repository import roster as repo
from pathwise_profiles.schemas.roster import (
    ClassCreate,
    ClassOut,
    ClassUpdate,
    CourseCreate,
    CourseOut,
    CourseUpdate,
    DistrictCreate,
    DistrictOut,
    DistrictUpdate,
    EnrollmentCreate,
    EnrollmentOut,
    EnrollmentUpdate,
    GuardianLinkCreate,
    GuardianLinkOut,
    SchoolCreate,
    SchoolOut,
    SchoolUpdate,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)
from pathwise_profiles.service.events import emit
from pathwise_shared.auth import Principal
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import as_utc, utcnow

__all__ = [
    "ListParams",
    "add_guardian_link",
    "create_class",
    "create_course",
    "create_district",
    "create_enrollment",
    "create_school",
    "create_session",
    "create_user",
    "delete_guardian_link",
    "get_class",
    "get_course",
    "get_district",
    "get_enrollment",
    "get_school",
    "get_session",
    "get_user",
    "list_classes",
    "list_courses",
    "list_districts",
    "list_enrollments",
    "list_guardian_links",
    "list_schools",
    "list_sessions",
    "list_users",
    "update_class",
    "update_course",
    "update_district",
    "update_enrollment",
    "update_school",
    "update_session",
    "update_user",
]

M = TypeVar("M", bound=BaseModel)


class ListParams(BaseModel):
    limit: int
    cursor: str | None = None
    status: str | None = None
    modified_since: datetime | None = None


def _conditions(table: Table, params: ListParams) -> list[ColumnElement[bool]]:
    since = as_utc(params.modified_since) if params.modified_since else None
    return repo.common_filters(table, status=params.status, modified_since=since)


async def _page(
    session: AsyncSession,
    table: Table,
    principal: Principal,
    params: ListParams,
    extra: Sequence[ColumnElement[bool]],
    out: type[M],
) -> Page[M]:
    rows = await repo.list_page(
        session,
        table,
        principal.require_district(),
        [*_conditions(table, params), *extra],
        after=decode_id_cursor(params.cursor),
        limit=params.limit,
    )
    return page_of(rows, params.limit, lambda r: [r["id"]], lambda r: out.model_validate(dict(r)))


async def _get(
    session: AsyncSession, table: Table, principal: Principal, object_id: uuid.UUID, what: str
) -> RowMapping:
    row = await repo.get_row(session, table, object_id, principal.require_district())
    if row is None:
        raise NotFound(f"No such {what} in your district.", slug=f"{what}-not-found")
    return row


async def _admin_schools(session: AsyncSession, principal: Principal) -> list[uuid.UUID] | None:
    """The schools a caller manages; None means the whole district (district admin, clients)."""
    if principal.is_system or principal.kind == "client" or principal.has_role("district_admin"):
        return None
    return await repo.school_ids_of(session, principal.user_id)


async def _require_school_admin_of(
    session: AsyncSession, principal: Principal, school_ids: Sequence[uuid.UUID]
) -> None:
    managed = await _admin_schools(session, principal)
    if managed is None:
        return
    if not school_ids or not set(school_ids) <= set(managed):
        raise Forbidden("You manage only your own schools' roster.", slug="not-your-school")


async def _require_refs(
    session: AsyncSession, principal: Principal, table: Table, ids: Sequence[uuid.UUID], field: str
) -> None:
    wanted = {i for i in ids if i is not None}
    found = await repo.existing_ids(session, table, list(wanted), principal.require_district())
    missing = wanted - found
    if missing:
        raise UnprocessableContent(
            f"{field}: no such record in your district: {', '.join(sorted(map(str, missing)))}",
            slug="unknown-reference",
            field=field,
        )


def _stamp() -> dict[str, Any]:
    now = utcnow()
    return {"id": new_id(), "status": "active", "created_at": now, "updated_at": now}


async def _insert(session: AsyncSession, table: Table, values: dict[str, Any], what: str) -> None:
    try:
        async with session.begin_nested():
            await repo.insert_row(session, table, values)
    except IntegrityError as exc:
        raise Conflict(
            f"A {what} with this sourced_id or name already exists in your district.",
            slug=f"{what}-exists",
        ) from exc


# districts ----------------------------------------------------------------------------------


async def create_district(session: AsyncSession, body: DistrictCreate) -> DistrictOut:
    values = {**_stamp(), **body.model_dump()}
    await _insert(session, districts, values, "district")
    return DistrictOut.model_validate(values)


async def list_districts(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[DistrictOut]:
    # One district per caller, so there is never a second page; a cursor is still checked, so a
    # malformed one is a 400 here as on every other list.
    after = decode_id_cursor(params.cursor)
    row = await get_district(session, principal, principal.require_district())
    return Page[DistrictOut](items=[row] if after is None else [])


async def get_district(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID
) -> DistrictOut:
    if district_id != principal.require_district():
        raise NotFound("No such district.", slug="district-not-found")
    row = await repo.get_row_by_id(session, districts, district_id)
    if row is None:
        raise NotFound("No such district.", slug="district-not-found")
    return DistrictOut.model_validate(dict(row))


async def update_district(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, body: DistrictUpdate
) -> DistrictOut:
    await get_district(session, principal, district_id)
    if body.status is not None and not principal.is_system:
        raise Forbidden("Only system operators retire a district.", slug="not-operator")
    changes = body.model_dump(exclude_unset=True)
    if changes:
        await repo.update_row(session, districts, district_id, {**changes, "updated_at": utcnow()})
    return await get_district(session, principal, district_id)


# schools ------------------------------------------------------------------------------------


async def create_school(
    session: AsyncSession, principal: Principal, body: SchoolCreate
) -> SchoolOut:
    values = {**_stamp(), "district_id": principal.require_district(), **body.model_dump()}
    await _insert(session, schools, values, "school")
    return SchoolOut.model_validate(values)


async def list_schools(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[SchoolOut]:
    return await _page(session, schools, principal, params, [], SchoolOut)


async def get_school(
    session: AsyncSession, principal: Principal, school_id: uuid.UUID
) -> SchoolOut:
    return SchoolOut.model_validate(
        dict(await _get(session, schools, principal, school_id, "school"))
    )


async def update_school(
    session: AsyncSession, principal: Principal, school_id: uuid.UUID, body: SchoolUpdate
) -> SchoolOut:
    await _get(session, schools, principal, school_id, "school")
    await _require_school_admin_of(session, principal, [school_id])
    changes = body.model_dump(exclude_unset=True)
    if changes:
        await repo.update_row(session, schools, school_id, {**changes, "updated_at": utcnow()})
    return await get_school(session, principal, school_id)


# academic sessions and courses ---------------------------------------------------------------


async def create_session(
    session: AsyncSession, principal: Principal, body: SessionCreate
) -> SessionOut:
    if body.parent_id is not None:
        await _require_refs(session, principal, academic_sessions, [body.parent_id], "parent_id")
    values = {**_stamp(), "district_id": principal.require_district(), **body.model_dump()}
    await _insert(session, academic_sessions, values, "session")
    return SessionOut.model_validate(values)


async def list_sessions(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[SessionOut]:
    return await _page(session, academic_sessions, principal, params, [], SessionOut)


async def get_session(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> SessionOut:
    row = await _get(session, academic_sessions, principal, session_id, "session")
    return SessionOut.model_validate(dict(row))


async def update_session(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, body: SessionUpdate
) -> SessionOut:
    row = await _get(session, academic_sessions, principal, session_id, "session")
    changes = body.model_dump(exclude_unset=True)
    for required in ("title", "type", "start_date", "end_date"):
        if required in changes and changes[required] is None:
            raise UnprocessableContent(f"{required} cannot be null.", slug="invalid-field")
    start = changes.get("start_date", row["start_date"])
    end = changes.get("end_date", row["end_date"])
    if end < start:
        raise UnprocessableContent("end_date is before start_date.", slug="invalid-dates")
    if changes:
        await repo.update_row(
            session, academic_sessions, session_id, {**changes, "updated_at": utcnow()}
        )
    return await get_session(session, principal, session_id)


async def create_course(
    session: AsyncSession, principal: Principal, body: CourseCreate
) -> CourseOut:
    if body.school_id is not None:
        await _require_refs(session, principal, schools, [body.school_id], "school_id")
        await _require_school_admin_of(session, principal, [body.school_id])
    values = {**_stamp(), "district_id": principal.require_district(), **body.model_dump()}
    await _insert(session, courses, values, "course")
    return CourseOut.model_validate(values)


async def list_courses(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[CourseOut]:
    return await _page(session, courses, principal, params, [], CourseOut)


async def get_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> CourseOut:
    return CourseOut.model_validate(
        dict(await _get(session, courses, principal, course_id, "course"))
    )


async def update_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, body: CourseUpdate
) -> CourseOut:
    row = await _get(session, courses, principal, course_id, "course")
    # A district-wide course (no school) is the district admins' to change.
    await _require_school_admin_of(
        session, principal, [row["school_id"]] if row["school_id"] else []
    )
    changes = body.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is None:
        raise UnprocessableContent("title cannot be null.", slug="invalid-field")
    if "grades" in changes:
        changes["grades"] = changes["grades"] or []
    if changes:
        await repo.update_row(session, courses, course_id, {**changes, "updated_at": utcnow()})
    return await get_course(session, principal, course_id)


# classes ------------------------------------------------------------------------------------


def _lowest_grade(grades: Sequence[str]) -> str | None:
    return sorted(grades)[0] if grades else None


async def create_class(session: AsyncSession, principal: Principal, body: ClassCreate) -> ClassOut:
    await _require_refs(session, principal, schools, [body.school_id], "school_id")
    if body.course_id is not None:
        await _require_refs(session, principal, courses, [body.course_id], "course_id")
    if body.session_id is not None:
        await _require_refs(session, principal, academic_sessions, [body.session_id], "session_id")
    await _require_school_admin_of(session, principal, [body.school_id])
    values = {
        **_stamp(),
        "district_id": principal.require_district(),
        **body.model_dump(),
        "grade": _lowest_grade(body.grades),
    }
    await _insert(session, classes, values, "class")
    return ClassOut.model_validate(values)


async def list_classes(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    school_id: uuid.UUID | None,
    grade: str | None,
) -> Page[ClassOut]:
    extra: list[ColumnElement[bool]] = []
    if school_id is not None:
        extra.append(classes.c.school_id == school_id)
    if grade is not None:
        extra.append(classes.c.grade == grade)
    return await _page(session, classes, principal, params, extra, ClassOut)


async def get_class(session: AsyncSession, principal: Principal, class_id: uuid.UUID) -> ClassOut:
    return ClassOut.model_validate(dict(await _get(session, classes, principal, class_id, "class")))


async def update_class(
    session: AsyncSession, principal: Principal, class_id: uuid.UUID, body: ClassUpdate
) -> ClassOut:
    row = await _get(session, classes, principal, class_id, "class")
    await _require_school_admin_of(session, principal, [row["school_id"]])
    changes = body.model_dump(exclude_unset=True)
    if "grades" in changes:
        changes["grades"] = changes["grades"] or []
        changes["grade"] = _lowest_grade(changes["grades"])
    if changes:
        await repo.update_row(session, classes, class_id, {**changes, "updated_at": utcnow()})
    return await get_class(session, principal, class_id)


# users --------------------------------------------------------------------------------------


async def _user_outs(session: AsyncSession, rows: Sequence[RowMapping]) -> list[UserOut]:
    ids = [r["id"] for r in rows]
    roles, school_ids = await lookups.roles_and_schools(session, ids)
    return [
        UserOut.model_validate(
            {**dict(r), "roles": roles[r["id"]], "school_ids": school_ids[r["id"]]}
        )
        for r in rows
    ]


async def create_user(session: AsyncSession, principal: Principal, body: UserCreate) -> UserOut:
    district_id = principal.require_district()
    await _require_refs(session, principal, schools, body.school_ids, "school_ids")
    if "district_admin" in body.roles and not (
        principal.is_system or principal.kind == "client" or principal.has_role("district_admin")
    ):
        raise Forbidden("Only a district admin makes district admins.", slug="not-district-admin")
    await _require_school_admin_of(session, principal, body.school_ids)
    values = {
        **_stamp(),
        "district_id": district_id,
        **body.model_dump(exclude={"roles", "school_ids"}),
    }
    await _insert(session, users, values, "user")
    await repo.replace_user_roles(session, values["id"], district_id, body.roles)
    await repo.replace_user_schools(session, values["id"], district_id, body.school_ids)
    if "student" in body.roles:
        await _create_learner(session, values["id"], district_id, body.grade)
    return (
        await _user_outs(session, [await _get(session, users, principal, values["id"], "user")])
    )[0]


async def _create_learner(
    session: AsyncSession, learner_id: uuid.UUID, district_id: uuid.UUID, grade: str | None
) -> None:
    now = utcnow()
    await repo.insert_row(
        session,
        learner_profiles,
        {
            **default_profile(),
            "learner_id": learner_id,
            "district_id": district_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    await emit(
        session,
        "learner.created",
        district_id,
        f"learner/{learner_id}",
        {"learner_id": str(learner_id), "grade": grade},
    )


async def list_users(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    role: str | None,
    school_id: uuid.UUID | None,
    class_id: uuid.UUID | None,
    grade: str | None,
    username: str | None,
) -> Page[UserOut]:
    managed = await _admin_schools(session, principal)
    school_filter: list[uuid.UUID] | None = [school_id] if school_id is not None else None
    if managed is not None:
        school_filter = [s for s in (school_filter or managed) if s in managed]
    extra = repo.user_filters(
        role=role,
        school_ids=school_filter,
        class_id=class_id,
        grade=grade,
        username=username,
        today=utcnow().date(),
    )
    rows = await repo.list_page(
        session,
        users,
        principal.require_district(),
        [*_conditions(users, params), *extra],
        after=decode_id_cursor(params.cursor),
        limit=params.limit,
    )
    outs = await _user_outs(session, rows[: params.limit])
    page = page_of(rows, params.limit, lambda r: [r["id"]], lambda r: r["id"])
    return Page[UserOut](items=outs, next_cursor=page.next_cursor)


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserOut:
    if (
        not principal.is_system
        and principal.kind == "user"
        and not principal.has_role("teacher", "school_admin", "district_admin")
        and principal.user_id != user_id
    ):
        # Students and guardians see only themselves: anyone else is as invisible as a user of
        # another district (404, never 403, so an id's existence is not revealed).
        raise NotFound("No such user.", slug="user-not-found")
    row = await _get(session, users, principal, user_id, "user")
    return (await _user_outs(session, [row]))[0]


async def update_user(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, body: UserUpdate
) -> UserOut:
    district_id = principal.require_district()
    before = await get_user(session, principal, user_id)
    await _require_school_admin_of(session, principal, before.school_ids or [uuid.UUID(int=0)])
    changes = body.model_dump(exclude_unset=True, exclude={"roles", "school_ids"})
    if body.school_ids is not None:
        await _require_refs(session, principal, schools, body.school_ids, "school_ids")
        await _require_school_admin_of(session, principal, body.school_ids)
        await repo.replace_user_schools(session, user_id, district_id, body.school_ids)
    if body.roles is not None:
        if "district_admin" in set(body.roles) ^ set(before.roles) and not (
            principal.is_system
            or principal.kind == "client"
            or principal.has_role("district_admin")
        ):
            raise Forbidden(
                "Only a district admin grants district admin.", slug="not-district-admin"
            )
        await repo.replace_user_roles(session, user_id, district_id, body.roles)
        if "student" in body.roles and "student" not in before.roles:
            existing = await lookups.planning_rows(session, user_id, district_id)
            if existing is None:
                await _create_learner(session, user_id, district_id, body.grade or before.grade)
    await repo.update_row(session, users, user_id, {**changes, "updated_at": utcnow()})
    after = await get_user(session, principal, user_id)
    if "student" in after.roles:
        kind = "learner.deleted" if after.status == "tobedeleted" else "learner.updated"
        if kind == "learner.updated" or before.status != "tobedeleted":
            await emit(
                session,
                kind,
                district_id,
                f"learner/{user_id}",
                {"learner_id": str(user_id), "fields": sorted(body.model_fields_set)},
            )
    return after


# enrollments --------------------------------------------------------------------------------


def _enrollment_out(row: RowMapping | dict[str, Any]) -> EnrollmentOut:
    values = dict(row)
    values["primary"] = values.pop("is_primary")
    return EnrollmentOut.model_validate(values)


async def create_enrollment(
    session: AsyncSession, principal: Principal, class_id: uuid.UUID, body: EnrollmentCreate
) -> EnrollmentOut:
    district_id = principal.require_district()
    klass = await _get(session, classes, principal, class_id, "class")
    await _require_school_admin_of(session, principal, [klass["school_id"]])
    person = await repo.get_row(session, users, body.user_id, district_id)
    if person is None:
        raise UnprocessableContent(
            "user_id: no such user in your district.", slug="unknown-reference", field="user_id"
        )
    roles, _ = await lookups.roles_and_schools(session, [body.user_id])
    if body.role not in roles[body.user_id]:
        raise UnprocessableContent(
            f"user_id: this user does not have the role {body.role!r}.", slug="role-mismatch"
        )
    if await repo.enrollment_exists(session, class_id, body.user_id, body.role):
        raise Conflict("This user is already enrolled in the class.", slug="enrollment-exists")
    values = {
        **_stamp(),
        "district_id": district_id,
        "class_id": class_id,
        "school_id": klass["school_id"],
        "user_id": body.user_id,
        "role": body.role,
        "is_primary": body.primary,
        "begin_date": body.begin_date,
        "end_date": body.end_date,
        "sourced_id": body.sourced_id,
    }
    await _insert(session, enrollments, values, "enrollment")
    await _emit_enrollment(session, values, "added")
    return _enrollment_out(values)


async def _emit_enrollment(session: AsyncSession, row: dict[str, Any], change: str) -> None:
    await emit(
        session,
        "enrollment.changed",
        row["district_id"],
        f"class/{row['class_id']}",
        {
            "enrollment_id": str(row["id"]),
            "class_id": str(row["class_id"]),
            "user_id": str(row["user_id"]),
            "role": row["role"],
            "change": change,
        },
    )


async def list_enrollments(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    class_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    school_id: uuid.UUID | None,
    role: str | None,
) -> Page[EnrollmentOut]:
    extra: list[ColumnElement[bool]] = []
    if class_id is not None:
        extra.append(enrollments.c.class_id == class_id)
    if user_id is not None:
        extra.append(enrollments.c.user_id == user_id)
    if school_id is not None:
        extra.append(enrollments.c.school_id == school_id)
    managed = await _admin_schools(session, principal)
    if managed is not None:
        # A school admin's reach is their schools: other schools' enrollments stay out of sight.
        extra.append(enrollments.c.school_id.in_(managed))
    if role is not None:
        extra.append(enrollments.c.role == role)
    rows = await repo.list_page(
        session,
        enrollments,
        principal.require_district(),
        [*_conditions(enrollments, params), *extra],
        after=decode_id_cursor(params.cursor),
        limit=params.limit,
    )
    return page_of(rows, params.limit, lambda r: [r["id"]], _enrollment_out)


async def get_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentOut:
    return _enrollment_out(await _get(session, enrollments, principal, enrollment_id, "enrollment"))


async def update_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID, body: EnrollmentUpdate
) -> EnrollmentOut:
    row = await _get(session, enrollments, principal, enrollment_id, "enrollment")
    await _require_school_admin_of(session, principal, [row["school_id"]])
    changes = body.model_dump(exclude_unset=True)
    if "primary" in changes:
        changes["is_primary"] = changes.pop("primary")
    begin = changes.get("begin_date", row["begin_date"])
    end = changes.get("end_date", row["end_date"])
    if begin and end and end < begin:
        raise UnprocessableContent("end_date is before begin_date.", slug="invalid-dates")
    if changes:
        await repo.update_row(
            session, enrollments, enrollment_id, {**changes, "updated_at": utcnow()}
        )
        change = "removed" if changes.get("status") == "tobedeleted" else "updated"
        await _emit_enrollment(session, {**dict(row), **changes}, change)
    return await get_enrollment(session, principal, enrollment_id)


# guardians ----------------------------------------------------------------------------------


async def add_guardian_link(
    session: AsyncSession, principal: Principal, body: GuardianLinkCreate
) -> GuardianLinkOut:
    district_id = principal.require_district()
    await _require_refs(
        session, principal, users, [body.guardian_id, body.student_id], "guardian_id/student_id"
    )
    roles, schools_of = await lookups.roles_and_schools(
        session, [body.guardian_id, body.student_id]
    )
    if "guardian" not in roles[body.guardian_id]:
        raise UnprocessableContent(
            "guardian_id: this user is not a guardian.", slug="role-mismatch"
        )
    if "student" not in roles[body.student_id]:
        raise UnprocessableContent("student_id: this user is not a student.", slug="role-mismatch")
    await _require_school_admin_of(
        session, principal, schools_of[body.student_id] or [uuid.UUID(int=0)]
    )
    if await repo.guardian_link_exists(session, body.guardian_id, body.student_id):
        raise Conflict("This guardian is already linked to the student.", slug="link-exists")
    values = {**_stamp(), "district_id": district_id, **body.model_dump()}
    await _insert(session, guardian_links, values, "guardian link")
    await emit(
        session,
        "learner.updated",
        district_id,
        f"learner/{body.student_id}",
        {"learner_id": str(body.student_id), "fields": ["guardians"]},
    )
    return GuardianLinkOut.model_validate(values)


async def list_guardian_links(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    student_id: uuid.UUID | None,
    guardian_id: uuid.UUID | None,
) -> Page[GuardianLinkOut]:
    extra: list[ColumnElement[bool]] = []
    if student_id is not None:
        extra.append(guardian_links.c.student_id == student_id)
    if guardian_id is not None:
        extra.append(guardian_links.c.guardian_id == guardian_id)
    return await _page(session, guardian_links, principal, params, extra, GuardianLinkOut)


async def delete_guardian_link(
    session: AsyncSession, principal: Principal, link_id: uuid.UUID
) -> None:
    row = await _get(session, guardian_links, principal, link_id, "guardian link")
    await repo.update_row(
        session, guardian_links, link_id, {"status": "tobedeleted", "updated_at": utcnow()}
    )
    await emit(
        session,
        "learner.updated",
        row["district_id"],
        f"learner/{row['student_id']}",
        {"learner_id": str(row["student_id"]), "fields": ["guardians"]},
    )
