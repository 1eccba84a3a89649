"""Courses: district-wide or of one school; a school admin touches only their schools' courses."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import courses, schools
from pathwise_profiles.schemas.roster import CourseCreate, CourseOut, CourseUpdate
from pathwise_profiles.service.roster.common import (
    ListParams,
    get_or_404,
    insert_or_409,
    page,
    require_refs,
    require_school_admin_of,
    stamp,
    update_recorded,
)
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import Page
from pathwise_shared.problems import UnprocessableContent

__all__ = ["create_course", "get_course", "list_courses", "update_course"]


async def create_course(
    session: AsyncSession, principal: Principal, body: CourseCreate
) -> CourseOut:
    if body.school_id is not None:
        await require_refs(session, principal, schools, [body.school_id], "school_id")
        await require_school_admin_of(session, principal, [body.school_id])
    values = {**stamp(), "district_id": principal.require_district(), **body.model_dump()}
    await insert_or_409(session, courses, values, "course")
    return CourseOut.model_validate(values)


async def list_courses(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[CourseOut]:
    return await page(session, courses, principal, params, [], CourseOut)


async def get_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> CourseOut:
    return CourseOut.model_validate(
        dict(await get_or_404(session, courses, principal, course_id, "course"))
    )


async def update_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, body: CourseUpdate
) -> CourseOut:
    row = await get_or_404(session, courses, principal, course_id, "course")
    # A district-wide course (no school) is the district admins' to change.
    await require_school_admin_of(
        session, principal, [row["school_id"]] if row["school_id"] else []
    )
    changes = body.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is None:
        raise UnprocessableContent("title cannot be null.", slug="invalid-field")
    if "grades" in changes:
        changes["grades"] = changes["grades"] or []
    if changes:
        await update_recorded(session, courses, course_id, principal.require_district(), changes)
    return await get_course(session, principal, course_id)
