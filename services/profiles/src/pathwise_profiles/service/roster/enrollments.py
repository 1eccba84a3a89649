"""Enrollments of users in classes: the role must be one the user has; every change is an event."""

import uuid
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import classes, enrollments, users
from pathwise_profiles.repository import lookups
from pathwise_profiles.repository import roster as repo
from pathwise_profiles.schemas.roster import EnrollmentCreate, EnrollmentOut, EnrollmentUpdate
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.roster.common import (
    ListParams,
    admin_schools,
    conditions,
    get_or_404,
    insert_or_409,
    require_school_admin_of,
    stamp,
    update_recorded,
)
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Conflict, UnprocessableContent

__all__ = [
    "create_enrollment",
    "get_enrollment",
    "list_class_enrollments",
    "list_enrollments",
    "update_enrollment",
]


def _enrollment_out(row: RowMapping | dict[str, Any]) -> EnrollmentOut:
    # The column is ``is_primary`` (``primary`` is an SQL keyword); the API says ``primary``.
    values = dict(row)
    values["primary"] = values.pop("is_primary")
    return EnrollmentOut.model_validate(values)


async def create_enrollment(
    session: AsyncSession, principal: Principal, class_id: uuid.UUID, body: EnrollmentCreate
) -> EnrollmentOut:
    district_id = principal.require_district()
    klass = await get_or_404(session, classes, principal, class_id, "class")
    await require_school_admin_of(session, principal, [klass["school_id"]])
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
        **stamp(),
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
    await insert_or_409(session, enrollments, values, "enrollment")
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


async def list_class_enrollments(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    class_id: uuid.UUID,
    *,
    role: str | None,
) -> Page[EnrollmentOut]:
    """One class's enrollments; 404 when the class is not in the caller's district (an empty
    page would say it exists)."""
    await get_or_404(session, classes, principal, class_id, "class")
    return await list_enrollments(
        session, principal, params, class_id=class_id, user_id=None, school_id=None, role=role
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
    # A school admin's reach is their schools: other schools' enrollments stay out of sight.
    managed = await admin_schools(session, principal)
    extra = repo.enrollment_filters(
        class_id=class_id, user_id=user_id, school_id=school_id, role=role, school_ids=managed
    )
    rows = await repo.list_page(
        session,
        enrollments,
        principal.require_district(),
        [*conditions(enrollments, params), *extra],
        after=decode_id_cursor(params.cursor),
        limit=params.limit,
    )
    return page_of(rows, params.limit, lambda r: [r["id"]], _enrollment_out)


async def get_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentOut:
    row = await get_or_404(session, enrollments, principal, enrollment_id, "enrollment")
    return _enrollment_out(row)


async def update_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID, body: EnrollmentUpdate
) -> EnrollmentOut:
    row = await get_or_404(session, enrollments, principal, enrollment_id, "enrollment")
    await require_school_admin_of(session, principal, [row["school_id"]])
    changes = body.model_dump(exclude_unset=True)
    if "primary" in changes:
        changes["is_primary"] = changes.pop("primary")
    begin = changes.get("begin_date", row["begin_date"])
    end = changes.get("end_date", row["end_date"])
    if begin and end and end < begin:
        raise UnprocessableContent("end_date is before begin_date.", slug="invalid-dates")
    if changes:
        await update_recorded(session, enrollments, enrollment_id, row["district_id"], changes)
        change = "removed" if changes.get("status") == "tobedeleted" else "updated"
        await _emit_enrollment(session, {**dict(row), **changes}, change)
    return await get_enrollment(session, principal, enrollment_id)
