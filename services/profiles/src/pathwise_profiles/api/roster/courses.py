"""``/v1/courses``: district-wide or one school's courses."""

import uuid

from fastapi import APIRouter, Response, status

from pathwise_profiles.api.deps import Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import CourseCreate, CourseOut, CourseUpdate
from pathwise_profiles.service.roster import courses as svc
from pathwise_shared.access import ADMINS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post(
    "/courses",
    status_code=status.HTTP_201_CREATED,
    # A school admin creates courses only in a school they manage (service/roster/courses.py).
    **access(roles=ADMINS, scopes=WRITE, action="write", service_checks=["school_id"]),
)
async def create_course(
    body: CourseCreate, principal: CurrentPrincipal, session: DbSession
) -> CourseOut:
    return await svc.create_course(session, principal, body)


@router.get("/courses", **access(roles=STAFF, scopes=READ))
async def list_courses(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[CourseOut]:
    return await svc.list_courses(session, principal, params)


@router.get("/courses/{course_id}", **access(roles=STAFF, scopes=READ))
async def get_course(
    course_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> CourseOut:
    return await svc.get_course(session, principal, course_id)


@router.patch("/courses/{course_id}", **access(roles=ADMINS, scopes=WRITE, action="write"))
async def update_course(
    course_id: uuid.UUID, body: CourseUpdate, principal: CurrentPrincipal, session: DbSession
) -> CourseOut:
    return await svc.update_course(session, principal, course_id, body)


@router.delete(
    "/courses/{course_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_course(
    course_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.update_course(session, principal, course_id, CourseUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
