"""Queries on attempts, the items they show and their responses."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Attempt, AttemptItem, ItemVersion, Response

__all__ = [
    "add_attempt",
    "add_attempt_items",
    "add_response",
    "attempt_items",
    "count_attempt_items",
    "get_attempt",
    "get_attempt_by_key",
    "get_response",
    "items_of_attempts",
    "list_attempts",
    "responses_of",
    "responses_of_attempts",
]


async def add_attempt(session: AsyncSession, attempt: Attempt) -> None:
    session.add(attempt)
    await session.flush()


async def get_attempt(
    session: AsyncSession, district_id: uuid.UUID, attempt_id: uuid.UUID, *, lock: bool = False
) -> Attempt | None:
    query = select(Attempt).where(Attempt.district_id == district_id, Attempt.id == attempt_id)
    if lock:
        # Serializes answers/finish of one attempt on PostgreSQL (SQLite has one writer anyway).
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def attempt_learner(
    session: AsyncSession, district_id: uuid.UUID, attempt_id: uuid.UUID
) -> uuid.UUID | None:
    """Whose attempt this is (the gateway's object-level check resolves attempts with it)."""
    return (
        await session.execute(
            select(Attempt.learner_id).where(
                Attempt.district_id == district_id, Attempt.id == attempt_id
            )
        )
    ).scalar_one_or_none()


async def get_attempt_by_key(
    session: AsyncSession, district_id: uuid.UUID, key: str
) -> Attempt | None:
    return (
        await session.execute(
            select(Attempt).where(
                Attempt.district_id == district_id, Attempt.idempotency_key == key
            )
        )
    ).scalar_one_or_none()


async def list_attempts(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    learner_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Attempt]:
    query = (
        select(Attempt)
        .where(Attempt.district_id == district_id)
        .order_by(Attempt.id)
        .limit(limit + 1)
    )
    if learner_id is not None:
        query = query.where(Attempt.learner_id == learner_id)
    if after is not None:
        query = query.where(Attempt.id > after)
    return list((await session.execute(query)).scalars())


async def add_attempt_items(
    session: AsyncSession, attempt_id: uuid.UUID, versions: Sequence[ItemVersion], start: int = 0
) -> None:
    session.add_all(
        AttemptItem(
            attempt_id=attempt_id, item_id=v.item_id, item_version_id=v.id, position=start + i
        )
        for i, v in enumerate(versions)
    )
    await session.flush()


async def attempt_items(
    session: AsyncSession, attempt_id: uuid.UUID
) -> list[tuple[AttemptItem, ItemVersion]]:
    rows = await session.execute(
        select(AttemptItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    )
    return [(r[0], r[1]) for r in rows.all()]


async def items_of_attempts(
    session: AsyncSession, attempt_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[int, ItemVersion]]]:
    """The (position, version) lists of many attempts in one query, each in position order."""
    found: dict[uuid.UUID, list[tuple[int, ItemVersion]]] = {a: [] for a in attempt_ids}
    if not attempt_ids:
        return found
    rows = await session.execute(
        select(AttemptItem.attempt_id, AttemptItem.position, ItemVersion)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id.in_(found))
        .order_by(AttemptItem.attempt_id, AttemptItem.position)
    )
    for attempt_id, position, version in rows.all():
        found[attempt_id].append((position, version))
    return found


async def count_attempt_items(session: AsyncSession, attempt_id: uuid.UUID) -> int:
    return int(
        (
            await session.execute(select(func.count()).where(AttemptItem.attempt_id == attempt_id))
        ).scalar_one()
    )


async def add_response(session: AsyncSession, response: Response) -> None:
    session.add(response)
    await session.flush()


async def responses_of(session: AsyncSession, attempt_id: uuid.UUID) -> list[Response]:
    rows = await session.execute(
        select(Response).where(Response.attempt_id == attempt_id).order_by(Response.id)
    )
    return list(rows.scalars())


async def responses_of_attempts(
    session: AsyncSession, attempt_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Response]]:
    """The responses of many attempts in one query, each attempt's in id (answer) order."""
    found: dict[uuid.UUID, list[Response]] = {a: [] for a in attempt_ids}
    if not attempt_ids:
        return found
    rows = await session.execute(
        select(Response).where(Response.attempt_id.in_(found)).order_by(Response.id)
    )
    for response in rows.scalars():
        found[response.attempt_id].append(response)
    return found


async def get_response(
    session: AsyncSession,
    attempt_id: uuid.UUID,
    *,
    item_id: uuid.UUID | None = None,
    response_id: uuid.UUID | None = None,
) -> Response | None:
    query = select(Response).where(Response.attempt_id == attempt_id)
    if item_id is not None:
        query = query.where(Response.item_id == item_id)
    if response_id is not None:
        query = query.where(Response.id == response_id)
    return (await session.execute(query)).scalar_one_or_none()
