"""``/v1/classes/{class_id}/enrollments`` and ``/v1/enrollments``."""

import uuid
from typing import Literal

from fastapi import APIRouter, Response, status

from pathwise_profiles.api.deps import Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import EnrollmentCreate, EnrollmentOut, EnrollmentUpdate
from pathwise_profiles.service.roster import enrollments as svc
from pathwise_shared.access import ADMINS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post(
    "/classes/{class_id}/enrollments",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write", class_="class_id"),
)
async def create_enrollment(
    class_id: uuid.UUID, body: EnrollmentCreate, principal: CurrentPrincipal, session: DbSession
) -> EnrollmentOut:
    return await svc.create_enrollment(session, principal, class_id, body)


@router.get(
    "/classes/{class_id}/enrollments", **access(roles=STAFF, scopes=READ, class_="class_id")
)
async def list_class_enrollments(
    class_id: uuid.UUID,
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    role: Literal["student", "teacher"] | None = None,
) -> Page[EnrollmentOut]:
    return await svc.list_class_enrollments(session, principal, params, class_id, role=role)


# A school admin's list is restricted to the schools they manage (service/roster/enrollments.py).
@router.get(
    "/enrollments",
    **access(roles=ADMINS, scopes=READ, service_checks=["class_id", "school_id"]),
)
async def list_enrollments(
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    class_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    school_id: uuid.UUID | None = None,
    role: Literal["student", "teacher"] | None = None,
) -> Page[EnrollmentOut]:
    return await svc.list_enrollments(
        session,
        principal,
        params,
        class_id=class_id,
        user_id=user_id,
        school_id=school_id,
        role=role,
    )


@router.get("/enrollments/{enrollment_id}", **access(roles=ADMINS, scopes=READ))
async def get_enrollment(
    enrollment_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> EnrollmentOut:
    return await svc.get_enrollment(session, principal, enrollment_id)


@router.patch("/enrollments/{enrollment_id}", **access(roles=ADMINS, scopes=WRITE, action="write"))
async def update_enrollment(
    enrollment_id: uuid.UUID,
    body: EnrollmentUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> EnrollmentOut:
    return await svc.update_enrollment(session, principal, enrollment_id, body)


@router.delete(
    "/enrollments/{enrollment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_enrollment(
    enrollment_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.update_enrollment(
        session, principal, enrollment_id, EnrollmentUpdate(status="tobedeleted")
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
