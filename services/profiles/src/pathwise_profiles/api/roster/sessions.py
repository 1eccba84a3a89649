"""``/v1/sessions``: academic sessions (school years, terms)."""

import uuid

from fastapi import APIRouter, Response, status

from pathwise_profiles.api.deps import Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import SessionCreate, SessionOut, SessionUpdate
from pathwise_profiles.service.roster import sessions as svc
from pathwise_shared.access import ADMINS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def create_session(
    body: SessionCreate, principal: CurrentPrincipal, session: DbSession
) -> SessionOut:
    return await svc.create_session(session, principal, body)


@router.get("/sessions", **access(roles=STAFF, scopes=READ))
async def list_sessions(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[SessionOut]:
    return await svc.list_sessions(session, principal, params)


@router.get("/sessions/{session_id}", **access(roles=STAFF, scopes=READ))
async def get_session(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> SessionOut:
    return await svc.get_session(session, principal, session_id)


@router.patch("/sessions/{session_id}", **access(roles=ADMINS, scopes=WRITE, action="write"))
async def update_session(
    session_id: uuid.UUID, body: SessionUpdate, principal: CurrentPrincipal, session: DbSession
) -> SessionOut:
    return await svc.update_session(session, principal, session_id, body)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_session(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.update_session(session, principal, session_id, SessionUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
