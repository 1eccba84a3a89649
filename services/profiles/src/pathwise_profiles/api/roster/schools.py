"""``/v1/schools``: district admins create; a school admin changes only the schools they manage."""

import uuid

from fastapi import APIRouter, Response, status

from pathwise_profiles.api.deps import Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import SchoolCreate, SchoolOut, SchoolUpdate
from pathwise_profiles.service.roster import schools as svc
from pathwise_shared.access import ADMINS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post(
    "/schools",
    status_code=status.HTTP_201_CREATED,
    **access(roles={"district_admin"}, scopes=WRITE, action="write"),
)
async def create_school(
    body: SchoolCreate, principal: CurrentPrincipal, session: DbSession
) -> SchoolOut:
    return await svc.create_school(session, principal, body)


@router.get("/schools", **access(roles=STAFF, scopes=READ))
async def list_schools(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[SchoolOut]:
    return await svc.list_schools(session, principal, params)


@router.get("/schools/{school_id}", **access(roles=STAFF, scopes=READ, school="school_id"))
async def get_school(
    school_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> SchoolOut:
    return await svc.get_school(session, principal, school_id)


@router.patch(
    "/schools/{school_id}",
    **access(roles=ADMINS, scopes=WRITE, action="write", school="school_id"),
)
async def update_school(
    school_id: uuid.UUID, body: SchoolUpdate, principal: CurrentPrincipal, session: DbSession
) -> SchoolOut:
    return await svc.update_school(session, principal, school_id, body)


@router.delete(
    "/schools/{school_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles={"district_admin"}, scopes=WRITE, action="write", school="school_id"),
)
async def delete_school(
    school_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Soft delete (``tobedeleted``): classes and people keep their history."""
    await svc.update_school(session, principal, school_id, SchoolUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
