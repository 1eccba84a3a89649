"""Queries on items, their versions and skill tags."""

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import String, delete, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Item, ItemSkill, ItemVersion

__all__ = [
    "add_item",
    "add_version",
    "bank_for_skills",
    "difficulties_by_skill",
    "get_item",
    "get_item_by_key",
    "get_version",
    "list_items",
    "replace_skill_tags",
    "versions_by_id",
]


async def add_item(session: AsyncSession, item: Item) -> None:
    session.add(item)
    await session.flush()


async def add_version(session: AsyncSession, version: ItemVersion) -> None:
    session.add(version)
    await session.flush()


async def replace_skill_tags(
    session: AsyncSession,
    item_id: uuid.UUID,
    district_id: uuid.UUID,
    skill_codes: Sequence[str],
    difficulty: float,
) -> None:
    await session.execute(delete(ItemSkill).where(ItemSkill.item_id == item_id))
    session.add_all(
        ItemSkill(item_id=item_id, skill_code=code, district_id=district_id, difficulty=difficulty)
        for code in skill_codes
    )
    await session.flush()


async def get_item(
    session: AsyncSession, district_id: uuid.UUID, item_id: uuid.UUID
) -> tuple[Item, ItemVersion] | None:
    row = (
        await session.execute(
            select(Item, ItemVersion)
            .join(
                ItemVersion,
                (ItemVersion.item_id == Item.id) & (ItemVersion.version == Item.current_version),
            )
            .where(Item.district_id == district_id, Item.id == item_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def get_item_by_key(session: AsyncSession, district_id: uuid.UUID, key: str) -> Item | None:
    return (
        await session.execute(
            select(Item).where(Item.district_id == district_id, Item.idempotency_key == key)
        )
    ).scalar_one_or_none()


async def get_version(
    session: AsyncSession, district_id: uuid.UUID, item_id: uuid.UUID, version: int
) -> ItemVersion | None:
    return (
        await session.execute(
            select(ItemVersion).where(
                ItemVersion.district_id == district_id,
                ItemVersion.item_id == item_id,
                ItemVersion.version == version,
            )
        )
    ).scalar_one_or_none()


async def versions_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ItemVersion]:
    if not ids:
        return {}
    rows = (await session.execute(select(ItemVersion).where(ItemVersion.id.in_(ids)))).scalars()
    return {v.id: v for v in rows}


async def list_items(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    skill_code: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[tuple[Item, ItemVersion]]:
    query = (
        select(Item, ItemVersion)
        .join(
            ItemVersion,
            (ItemVersion.item_id == Item.id) & (ItemVersion.version == Item.current_version),
        )
        .where(Item.district_id == district_id)
        .order_by(Item.id)
        .limit(limit + 1)
    )
    if skill_code is not None:
        query = query.join(ItemSkill, ItemSkill.item_id == Item.id).where(
            ItemSkill.skill_code == skill_code
        )
    if after is not None:
        query = query.where(Item.id > after)
    return [(r[0], r[1]) for r in (await session.execute(query)).all()]


async def difficulties_by_skill(
    session: AsyncSession, district_id: uuid.UUID, skill_codes: Sequence[str]
) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {code: [] for code in skill_codes}
    rows = await session.execute(
        select(ItemSkill.skill_code, ItemSkill.difficulty)
        .join(Item, Item.id == ItemSkill.item_id)
        .where(
            ItemSkill.district_id == district_id,
            ItemSkill.skill_code.in_(skill_codes),
            Item.status == "active",
        )
    )
    for code, difficulty in rows:
        found[code].append(difficulty)
    return found


async def bank_for_skills(
    session: AsyncSession,
    district_id: uuid.UUID,
    skill_codes: Sequence[str],
    exclude: Collection[uuid.UUID] = (),
) -> list[tuple[str, float, float]]:
    """(version id as text, discrimination, difficulty) of the current versions of the active,
    objective items tagged with any of the skills, except the items in ``exclude``.

    Adaptive selection reads the whole bank on every step, so this reads plain columns and leaves
    the ids as the driver returns them: converting 10k ids to ``uuid.UUID`` (SQLAlchemy's ``Uuid``
    type on SQLite) costs ~0.1 s, ten times the query. Parse only the one chosen.
    """
    tagged = (
        select(ItemSkill.item_id)
        .where(ItemSkill.district_id == district_id, ItemSkill.skill_code.in_(skill_codes))
        .distinct()
    )
    query = (
        select(
            type_coerce(ItemVersion.id, String), ItemVersion.discrimination, ItemVersion.difficulty
        )
        .join(
            Item,
            (ItemVersion.item_id == Item.id) & (ItemVersion.version == Item.current_version),
        )
        .where(
            Item.district_id == district_id,
            Item.status == "active",
            Item.type != "open_response",
            Item.id.in_(tagged),
        )
        .order_by(Item.id)
    )
    if exclude:
        query = query.where(Item.id.not_in(list(exclude)))
    rows = await session.execute(query)
    return [(str(r[0]), float(r[1]), float(r[2])) for r in rows.all()]
