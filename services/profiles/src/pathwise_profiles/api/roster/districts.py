"""``/v1/districts``: the caller's own district; operators create and retire tenants."""

import uuid

from fastapi import APIRouter, Response, status

from pathwise_profiles.api.deps import Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import DistrictCreate, DistrictOut, DistrictUpdate
from pathwise_profiles.service.roster import districts as svc
from pathwise_shared.access import ALL_USERS, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post("/districts", status_code=status.HTTP_201_CREATED, **access(action="write"))
async def create_district(body: DistrictCreate, session: DbSession) -> DistrictOut:
    """Create a tenant (system operators only)."""
    return await svc.create_district(session, body)


@router.get("/districts", **access(roles=ALL_USERS, scopes=READ))
async def list_districts(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[DistrictOut]:
    """The caller's own district (a tenant never sees another)."""
    return await svc.list_districts(session, principal, params)


@router.get("/districts/{district_id}", **access(roles=ALL_USERS, scopes=READ))
async def get_district(
    district_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> DistrictOut:
    return await svc.get_district(session, principal, district_id)


@router.patch(
    "/districts/{district_id}",
    **access(roles={"district_admin"}, scopes=WRITE, action="write"),
)
async def update_district(
    district_id: uuid.UUID, body: DistrictUpdate, principal: CurrentPrincipal, session: DbSession
) -> DistrictOut:
    """Rename the caller's district; only system operators change its status."""
    return await svc.update_district(session, principal, district_id, body)


@router.delete(
    "/districts/{district_id}", status_code=status.HTTP_204_NO_CONTENT, **access(action="write")
)
async def delete_district(
    district_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Soft delete a tenant (system operators only); its rows stay for the privacy workflows."""
    await svc.update_district(session, principal, district_id, DistrictUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
