"""Queries on items, their versions and skill tags."""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, bindparam, delete, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.rows import VersionRow
from pathwise_assessment.models import Item, ItemSkill, ItemVersion
from pathwise_assessment.repository.cache import DistrictCache

__all__ = [
    "Bank",
    "add_item",
    "add_version",
    "cached_bank",
    "difficulties_by_skill",
    "get_item",
    "get_item_by_key",
    "get_version",
    "list_items",
    "replace_skill_tags",
    "version_rows",
]


@dataclass(frozen=True)
class Bank:
    """A skill set's adaptive bank as arrays (2PL ``a``, ``b``), with each row's ids."""

    version_ids: list[str]  # as the driver returns them; parse only the one chosen
    index_of_item: dict[uuid.UUID, int]
    a: npt.NDArray[np.float64]
    b: npt.NDArray[np.float64]


# Versions never change once written: cached by id for the life of the process (bounded).
_versions: dict[uuid.UUID, VersionRow] = {}
_MAX_VERSIONS = 50_000
# The bank of a skill set (``/next``): changes only with an item write (``replace_skill_tags``).
_banks: DistrictCache[frozenset[str], Bank] = DistrictCache()

# Statements built once (SQLAlchemy still derives a cache key per execution; the building of the
# statement, its clauses and columns, is what a per-request construction added).
_VERSION_ROWS = select(
    ItemVersion.id,
    ItemVersion.item_id,
    ItemVersion.version,
    ItemVersion.type,
    ItemVersion.stem,
    ItemVersion.skill_codes,
    ItemVersion.points,
    ItemVersion.difficulty,
    ItemVersion.discrimination,
    ItemVersion.spec,
).where(ItemVersion.id.in_(bindparam("ids", expanding=True)))
_DIFFICULTIES = (
    select(ItemSkill.skill_code, ItemSkill.difficulty)
    .join(Item, Item.id == ItemSkill.item_id)
    .where(
        ItemSkill.district_id == bindparam("district_id"),
        ItemSkill.skill_code.in_(bindparam("codes", expanding=True)),
        Item.status == "active",
    )
)
_BANK = (
    select(
        type_coerce(ItemVersion.id, String).label("version_id"),
        type_coerce(Item.id, String).label("item_id"),
        ItemVersion.discrimination,
        ItemVersion.difficulty,
    )
    .join(Item, (ItemVersion.item_id == Item.id) & (ItemVersion.version == Item.current_version))
    .where(
        Item.district_id == bindparam("district_id"),
        Item.status == "active",
        Item.type != "open_response",
        Item.id.in_(
            select(ItemSkill.item_id)
            .where(
                ItemSkill.district_id == bindparam("district_id"),
                ItemSkill.skill_code.in_(bindparam("codes", expanding=True)),
            )
            .distinct()
        ),
    )
    .order_by(Item.id)
)


async def version_rows(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, VersionRow]:
    """The versions of these ids, from the process cache; one statement for those not in it."""
    found = {i: v for i in ids if (v := _versions.get(i)) is not None}
    missing = [i for i in ids if i not in found]
    if missing:
        if len(_versions) + len(missing) > _MAX_VERSIONS:
            _versions.clear()
        for row in await session.execute(_VERSION_ROWS, {"ids": missing}):
            version = VersionRow(
                row[0], row[1], row[2], row[3], row[4], list(row[5]), row[6], row[7], row[8],
                row[9],
            )  # fmt: skip
            _versions[version.id] = found[version.id] = version
    return found


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
    # The skills' banks change with this item: drop them (at once and on commit).
    _banks.invalidate_on_commit(session, district_id)
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
        _DIFFICULTIES, {"district_id": district_id, "codes": list(skill_codes)}
    )
    for code, difficulty in rows:
        found[code].append(difficulty)
    return found


async def cached_bank(
    session: AsyncSession, district_id: uuid.UUID, skill_codes: Sequence[str]
) -> Bank:
    """The skill set's bank, read once per item change (``replace_skill_tags`` drops it).

    The read leaves the version ids as the driver returns them: converting 10k ids to
    ``uuid.UUID`` through SQLAlchemy's ``Uuid`` type on SQLite costs ~0.1 s. Item ids are parsed
    once per read, for excluding the attempt's items by position.
    """
    key = frozenset(skill_codes)
    bank = _banks.get(district_id, key)
    if bank is not None:
        return bank
    generation = _banks.generation(district_id)
    rows = (await session.execute(_BANK, {"district_id": district_id, "codes": sorted(key)})).all()
    bank = Bank(
        version_ids=[str(r[0]) for r in rows],
        index_of_item={uuid.UUID(str(r[1])): n for n, r in enumerate(rows)},
        a=np.fromiter((float(r[2]) for r in rows), dtype=np.float64, count=len(rows)),
        b=np.fromiter((float(r[3]) for r in rows), dtype=np.float64, count=len(rows)),
    )
    _banks.put(district_id, key, bank, generation)
    return bank
