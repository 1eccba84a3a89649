"""``/v1/guardians``: links between guardians and students."""

import uuid

from fastapi import APIRouter, Response, status

from pathwise_profiles.api.deps import Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import GuardianLinkCreate, GuardianLinkOut
from pathwise_profiles.service.roster import guardians as svc
from pathwise_shared.access import ADMINS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post(
    "/guardians",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def add_guardian_link(
    body: GuardianLinkCreate, principal: CurrentPrincipal, session: DbSession
) -> GuardianLinkOut:
    """Link a guardian to a student (relationship type: parent, guardian, relative, other)."""
    return await svc.add_guardian_link(session, principal, body)


@router.get("/guardians", **access(roles=STAFF, scopes=READ))
async def list_guardian_links(
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    student_id: uuid.UUID | None = None,
    guardian_id: uuid.UUID | None = None,
) -> Page[GuardianLinkOut]:
    return await svc.list_guardian_links(
        session, principal, params, student_id=student_id, guardian_id=guardian_id
    )


@router.delete(
    "/guardians/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_guardian_link(
    link_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.delete_guardian_link(session, principal, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
