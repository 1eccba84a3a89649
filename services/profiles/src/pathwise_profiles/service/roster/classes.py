"""Classes: the district's catalogue; a school admin creates and changes only their schools'."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import academic_sessions, classes, courses, schools
from pathwise_profiles.repository import roster as repo
from pathwise_profiles.schemas.roster import ClassCreate, ClassOut, ClassUpdate
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

__all__ = ["create_class", "get_class", "list_classes", "update_class"]


def _lowest_grade(grades: Sequence[str]) -> str | None:
    # The one grade a class is filed under (``?grade=`` filters on it).
    return sorted(grades)[0] if grades else None


async def create_class(session: AsyncSession, principal: Principal, body: ClassCreate) -> ClassOut:
    await require_refs(session, principal, schools, [body.school_id], "school_id")
    if body.course_id is not None:
        await require_refs(session, principal, courses, [body.course_id], "course_id")
    if body.session_id is not None:
        await require_refs(session, principal, academic_sessions, [body.session_id], "session_id")
    await require_school_admin_of(session, principal, [body.school_id])
    values = {
        **stamp(),
        "district_id": principal.require_district(),
        **body.model_dump(),
        "grade": _lowest_grade(body.grades),
    }
    await insert_or_409(session, classes, values, "class")
    return ClassOut.model_validate(values)


async def list_classes(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    school_id: uuid.UUID | None,
    grade: str | None,
) -> Page[ClassOut]:
    extra = repo.class_filters(school_id=school_id, grade=grade)
    return await page(session, classes, principal, params, extra, ClassOut)


async def get_class(session: AsyncSession, principal: Principal, class_id: uuid.UUID) -> ClassOut:
    row = await get_or_404(session, classes, principal, class_id, "class")
    return ClassOut.model_validate(dict(row))


async def update_class(
    session: AsyncSession, principal: Principal, class_id: uuid.UUID, body: ClassUpdate
) -> ClassOut:
    row = await get_or_404(session, classes, principal, class_id, "class")
    await require_school_admin_of(session, principal, [row["school_id"]])
    changes = body.model_dump(exclude_unset=True)
    if "grades" in changes:
        changes["grades"] = changes["grades"] or []
        changes["grade"] = _lowest_grade(changes["grades"])
    if changes:
        await update_recorded(session, classes, class_id, principal.require_district(), changes)
    return await get_class(session, principal, class_id)
