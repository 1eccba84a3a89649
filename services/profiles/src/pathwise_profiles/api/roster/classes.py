"""``/v1/classes``: the district's class catalogue."""

import uuid

from fastapi import APIRouter, Response, status

from pathwise_profiles.api.deps import GradeParam, Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import ClassCreate, ClassOut, ClassUpdate
from pathwise_profiles.service.roster import classes as svc
from pathwise_shared.access import ADMINS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post(
    "/classes",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write", service_checks=["school_id"]),
)
async def create_class(
    body: ClassCreate, principal: CurrentPrincipal, session: DbSession
) -> ClassOut:
    return await svc.create_class(session, principal, body)


# The class list is the district's catalogue (names, grades, schools: no learner data); the school
# filter only narrows it.
@router.get("/classes", **access(roles=STAFF, scopes=READ, service_checks=["school_id"]))
async def list_classes(
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    school_id: uuid.UUID | None = None,
    grade: GradeParam = None,
) -> Page[ClassOut]:
    return await svc.list_classes(session, principal, params, school_id=school_id, grade=grade)


@router.get(
    "/classes/{class_id}", **access(roles=STAFF | {"student"}, scopes=READ, class_="class_id")
)
async def get_class(
    class_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> ClassOut:
    return await svc.get_class(session, principal, class_id)


@router.patch(
    "/classes/{class_id}", **access(roles=ADMINS, scopes=WRITE, action="write", class_="class_id")
)
async def update_class(
    class_id: uuid.UUID, body: ClassUpdate, principal: CurrentPrincipal, session: DbSession
) -> ClassOut:
    return await svc.update_class(session, principal, class_id, body)


@router.delete(
    "/classes/{class_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write", class_="class_id"),
)
async def delete_class(
    class_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Soft delete (OneRoster ``tobedeleted``): the row stays for re-imports and history."""
    await svc.update_class(session, principal, class_id, ClassUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
