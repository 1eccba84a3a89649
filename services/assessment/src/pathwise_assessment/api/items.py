"""/v1/items: the item bank (staff only: items carry their answer keys)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Response as HttpResponse

from pathwise_assessment.api.deps import IdempotencyKey, UpstreamsDep
from pathwise_assessment.api.views import item_out
from pathwise_assessment.schemas.common import SkillCode
from pathwise_assessment.schemas.items import ItemCreate, ItemOut, ItemUpdate
from pathwise_assessment.service import items as service
from pathwise_shared.access import STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.idempotency import REPLAYED_HEADER
from pathwise_shared.pagination import (
    CursorParam,
    LimitParam,
    Page,
    decode_id_cursor,
    page_of,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/items", tags=["items"])
READ = access(roles=STAFF, scopes=["assessment:read", "assessment:write"])
WRITE = access(roles=STAFF, scopes=["assessment:write"], action="write")


@router.post("", status_code=201, response_model=ItemOut, **WRITE)
async def create_item(
    body: ItemCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    upstreams: UpstreamsDep,
    response: HttpResponse,
    idempotency_key: IdempotencyKey,
) -> ItemOut:
    (item, version), created = await service.create_item(
        session, upstreams, principal, body, idempotency_key
    )
    if not created:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    return item_out(item, version)


@router.get("", response_model=Page[ItemOut], **READ)
async def list_items(
    session: DbSession,
    principal: CurrentPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    skill_code: Annotated[SkillCode | None, Query()] = None,
) -> Page[ItemOut]:
    rows = await service.list_items(session, principal, skill_code, decode_id_cursor(cursor), limit)
    return page_of(rows, limit, lambda r: (r[0].id,), lambda r: item_out(*r))


@router.get("/{item_id}", response_model=ItemOut, **READ)
async def get_item(
    item_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> ItemOut:
    return item_out(*await service.get_item(session, principal, item_id, version))


@router.put("/{item_id}", response_model=ItemOut, **WRITE)
async def update_item(
    item_id: uuid.UUID,
    body: ItemUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    upstreams: UpstreamsDep,
) -> ItemOut:
    return item_out(*await service.update_item(session, upstreams, principal, item_id, body))
