"""Academic sessions (school years, terms): admins manage them; the dates must stay in order."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import academic_sessions
from pathwise_profiles.schemas.roster import SessionCreate, SessionOut, SessionUpdate
from pathwise_profiles.service.roster.common import (
    ListParams,
    get_or_404,
    insert_or_409,
    page,
    require_refs,
    stamp,
    update_recorded,
)
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import Page
from pathwise_shared.problems import UnprocessableContent

__all__ = ["create_session", "get_session", "list_sessions", "update_session"]


async def create_session(
    session: AsyncSession, principal: Principal, body: SessionCreate
) -> SessionOut:
    if body.parent_id is not None:
        await require_refs(session, principal, academic_sessions, [body.parent_id], "parent_id")
    values = {**stamp(), "district_id": principal.require_district(), **body.model_dump()}
    await insert_or_409(session, academic_sessions, values, "session")
    return SessionOut.model_validate(values)


async def list_sessions(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[SessionOut]:
    return await page(session, academic_sessions, principal, params, [], SessionOut)


async def get_session(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> SessionOut:
    row = await get_or_404(session, academic_sessions, principal, session_id, "session")
    return SessionOut.model_validate(dict(row))


async def update_session(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, body: SessionUpdate
) -> SessionOut:
    row = await get_or_404(session, academic_sessions, principal, session_id, "session")
    changes = body.model_dump(exclude_unset=True)
    for required in ("title", "type", "start_date", "end_date"):
        if required in changes and changes[required] is None:
            raise UnprocessableContent(f"{required} cannot be null.", slug="invalid-field")
    start = changes.get("start_date", row["start_date"])
    end = changes.get("end_date", row["end_date"])
    if end < start:
        raise UnprocessableContent("end_date is before start_date.", slug="invalid-dates")
    if changes:
        await update_recorded(
            session, academic_sessions, session_id, principal.require_district(), changes
        )
    return await get_session(session, principal, session_id)
