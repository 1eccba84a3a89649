"""Districts (tenants): a caller sees and renames only its own; operators create and retire."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import districts
from pathwise_profiles.repository import roster as repo
from pathwise_profiles.schemas.roster import DistrictCreate, DistrictOut, DistrictUpdate
from pathwise_profiles.service.roster.common import (
    ListParams,
    insert_or_409,
    stamp,
    update_recorded,
)
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import Page, decode_id_cursor
from pathwise_shared.problems import Forbidden, NotFound

__all__ = ["create_district", "get_district", "list_districts", "update_district"]


async def create_district(session: AsyncSession, body: DistrictCreate) -> DistrictOut:
    values = {**stamp(), **body.model_dump()}
    await insert_or_409(session, districts, values, "district")
    return DistrictOut.model_validate(values)


async def list_districts(
    session: AsyncSession, principal: Principal, params: ListParams
) -> Page[DistrictOut]:
    # One district per caller, so there is never a second page; a cursor is still checked, so a
    # malformed one is a 400 here as on every other list.
    after = decode_id_cursor(params.cursor)
    row = await get_district(session, principal, principal.require_district())
    return Page[DistrictOut](items=[row] if after is None else [])


async def get_district(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID
) -> DistrictOut:
    if district_id != principal.require_district():
        raise NotFound("No such district.", slug="district-not-found")
    row = await repo.get_row_by_id(session, districts, district_id)
    if row is None:
        raise NotFound("No such district.", slug="district-not-found")
    return DistrictOut.model_validate(dict(row))


async def update_district(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, body: DistrictUpdate
) -> DistrictOut:
    await get_district(session, principal, district_id)
    if body.status is not None and not principal.is_system:
        raise Forbidden("Only system operators retire a district.", slug="not-operator")
    changes = body.model_dump(exclude_unset=True)
    if changes:
        await update_recorded(session, districts, district_id, district_id, changes)
    return await get_district(session, principal, district_id)
