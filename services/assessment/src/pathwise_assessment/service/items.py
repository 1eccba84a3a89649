"""Authoring items: create, edit (a new version), read, list."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Item, ItemVersion
from pathwise_assessment.repository import items as repo
from pathwise_assessment.schemas.items import ItemCreate, ItemUpdate
from pathwise_assessment.service.keys import first_with_key
from pathwise_assessment.service.ownership import new_owner, owner_of, require_change_right
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.idempotency import (
    IdempotentRequest,
    check_same_request,
    in_progress,
    stored_columns,
)
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = ["create_item", "get_item", "list_items", "update_item"]


def _check_points(body: ItemCreate) -> None:
    spec = body.spec
    if spec.type == "open_response" and abs(spec.max_points - body.points) > 1e-9:
        raise UnprocessableContent(
            "An open response item's rubric points must add up to the item's points.",
            slug="rubric-points",
        )


def _version(
    item_id: uuid.UUID, district_id: uuid.UUID, number: int, body: ItemCreate, principal: Principal
) -> ItemVersion:
    return ItemVersion(
        id=new_id(),
        item_id=item_id,
        district_id=district_id,
        version=number,
        type=body.spec.type,
        stem=body.stem,
        skill_codes=list(dict.fromkeys(body.skill_codes)),
        points=body.points,
        difficulty=body.difficulty,
        discrimination=body.discrimination,
        spec=body.spec.model_dump(mode="json"),
        created_by=principal.subject,
        created_at=utcnow(),
    )


async def create_item(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    body: ItemCreate,
    idempotency: IdempotentRequest | None,
) -> tuple[tuple[Item, ItemVersion], bool]:
    """The item and its first version, and whether it was created now (False on a replay)."""
    district_id = principal.require_district()
    if idempotency is not None:
        existing = await repo.get_item_by_key(session, district_id, idempotency.key)
        if existing is not None:
            check_same_request(existing.request_hash, idempotency)
            found = await repo.get_item(session, district_id, existing.id)
            if found is None:
                # Its first version is not visible yet: the request that holds the key is still
                # writing it (SQLite reads outside a write transaction see each commit as it lands).
                raise in_progress(1)
            return found, False
    _check_points(body)
    await upstreams.require_known_skills(principal, body.skill_codes)
    owner = await new_owner(upstreams, principal)
    now = utcnow()
    item = Item(
        id=new_id(),
        district_id=district_id,
        type=body.spec.type,
        current_version=1,
        status="active",
        created_by=principal.subject,
        **stored_columns(idempotency),
        created_at=now,
        updated_at=now,
        owner_id=owner.id,
        owner_school_id=owner.school_id,
    )
    version = _version(item.id, district_id, 1, body, principal)
    async with first_with_key(session, idempotency):
        await repo.add_item(session, item)
    await repo.add_version(session, version)
    await repo.replace_skill_tags(
        session, item.id, district_id, version.skill_codes, body.difficulty
    )
    return (item, version), True


async def update_item(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    item_id: uuid.UUID,
    body: ItemUpdate,
) -> tuple[Item, ItemVersion]:
    district_id = principal.require_district()
    found = await repo.get_item(session, district_id, item_id)
    if found is None:
        raise NotFound("No such item.", slug="item-not-found")
    item, _ = found
    # Ownership before anything else: a non-owner learns nothing about the edit's validity.
    await require_change_right(upstreams, principal, owner_of(item), "item")
    if body.spec.type != item.type:
        raise Conflict(
            f"An item's type cannot change (it is {item.type}); write a new item.",
            slug="item-type-change",
        )
    _check_points(body)
    await upstreams.require_known_skills(principal, body.skill_codes)
    version = _version(item.id, district_id, item.current_version + 1, body, principal)
    await repo.add_version(session, version)
    item.current_version = version.version
    item.updated_at = version.created_at
    await repo.replace_skill_tags(
        session, item.id, district_id, version.skill_codes, body.difficulty
    )
    return item, version


async def get_item(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID, version: int | None
) -> tuple[Item, ItemVersion]:
    district_id = principal.require_district()
    found = await repo.get_item(session, district_id, item_id)
    if found is None:
        raise NotFound("No such item.", slug="item-not-found")
    if version is None or version == found[1].version:
        return found
    old = await repo.get_version(session, district_id, item_id, version)
    if old is None:
        raise NotFound(f"The item has no version {version}.", slug="item-version-not-found")
    return found[0], old


async def list_items(
    session: AsyncSession,
    principal: Principal,
    skill_code: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[tuple[Item, ItemVersion]]:
    return await repo.list_items(
        session, principal.require_district(), skill_code=skill_code, after=after, limit=limit
    )
