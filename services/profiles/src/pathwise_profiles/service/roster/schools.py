"""Schools: district admins create them; a school admin changes only the schools they manage."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import schools
from pathwise_profiles.schemas.roster import SchoolCreate, SchoolOut, SchoolUpdate
from pathwise_profiles.service.roster.common import (
    ListParams,
    get_or_404,
    insert_or_409,
    page,
    require_school_admin_of,
    stamp,
    update_recorded,
)
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import Page

__all__ = ["create_school", "get_school", "list_schools", "update_school"]


async def create_school(
    session: AsyncSession, principal: Principal, body: SchoolCreate
) -> SchoolOut:
    values = {**stamp(), "district_id": principal.require_district(), **body.model_dump()}
    await insert_or_409(session, schools, values, "school")
    return SchoolOut.model_validate(values)


async def list_schools(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[SchoolOut]:
    return await page(session, schools, principal, params, [], SchoolOut)


async def get_school(
    session: AsyncSession, principal: Principal, school_id: uuid.UUID
) -> SchoolOut:
    return SchoolOut.model_validate(
        dict(await get_or_404(session, schools, principal, school_id, "school"))
    )


async def update_school(
    session: AsyncSession, principal: Principal, school_id: uuid.UUID, body: SchoolUpdate
) -> SchoolOut:
    await get_or_404(session, schools, principal, school_id, "school")
    await require_school_admin_of(session, principal, [school_id])
    changes = body.model_dump(exclude_unset=True)
    if changes:
        await update_recorded(session, schools, school_id, principal.require_district(), changes)
    return await get_school(session, principal, school_id)
