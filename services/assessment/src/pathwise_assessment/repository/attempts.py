"""Queries on attempts, the items they show and their responses."""

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.rows import ResponseRow, VersionRow
from pathwise_assessment.models import Assessment, Attempt, AttemptItem, ItemVersion, Response
from pathwise_shared.db.driver import HotStatement

__all__ = [
    "add_attempt",
    "add_attempt_items",
    "add_response",
    "attempt_rows",
    "count_attempt_items",
    "get_attempt",
    "get_attempt_by_key",
    "get_response",
    "insert_response",
    "items_of_attempts",
    "list_attempts",
    "lock_attempt",
    "responses_of_attempts",
]


# The answer path's statements, built once.
_ATTEMPT = select(Attempt).where(
    Attempt.district_id == bindparam("district_id"), Attempt.id == bindparam("attempt_id")
)
# Serializes answers/finish of one attempt on PostgreSQL (SQLite has one writer anyway). Only the
# attempt row is locked (``OF``): the assessment comes along so an answer reads both in one trip.
_ATTEMPT_LOCKED = _ATTEMPT.with_for_update()
_ATTEMPT_AND_ASSESSMENT_LOCKED = (
    select(Attempt, Assessment)
    .join(Assessment, Assessment.id == Attempt.assessment_id)
    .where(Attempt.district_id == bindparam("district_id"), Attempt.id == bindparam("attempt_id"))
    .with_for_update(of=Attempt)
)
_RESPONSES = cast(Table, Response.__table__)
_ATTEMPT_ITEMS = cast(Table, AttemptItem.__table__)
_R = _RESPONSES.c
_AI = _ATTEMPT_ITEMS.c
# The attempt's items (position, pinned version) with the response to each, if any: one
# statement for what was two. Read after the attempt lock, in its own statement: on PostgreSQL a
# statement sees what was committed when it started, so this one sees every answer committed
# before the lock was granted (a retry racing its first try finds the first one's response).
_ITEMS_AND_RESPONSES = (
    select(
        _AI.position,
        _AI.item_version_id,
        _R.id,
        _R.item_id,
        _R.item_version_id,
        _R.answer,
        _R.status,
        _R.earned,
        _R.possible,
        _R.correct,
        _R.created_at,
    )
    .select_from(
        _ATTEMPT_ITEMS.outerjoin(
            _RESPONSES, and_(_R.attempt_id == _AI.attempt_id, _R.item_id == _AI.item_id)
        )
    )
    .where(_AI.attempt_id == bindparam("attempt_id"))
    .order_by(_AI.position)
)
# The answer path's two on the driver (``HotStatement``): every column of the response named.
_ITEMS_AND_RESPONSES_HOT = HotStatement(_ITEMS_AND_RESPONSES)
_RESPONSE_COLUMNS = (
    "id", "district_id", "attempt_id", "item_id", "item_version_id", "learner_id", "answer",
    "status", "earned", "possible", "correct", "rubric", "created_at", "scored_at", "scored_by",
)  # fmt: skip
_INSERT_ANSWER = HotStatement(
    insert(_RESPONSES).values({name: bindparam(name) for name in _RESPONSE_COLUMNS})
)


async def lock_attempt(
    session: AsyncSession, district_id: uuid.UUID, attempt_id: uuid.UUID
) -> tuple[Attempt, Assessment] | None:
    """The attempt, locked until commit, with its assessment (one statement)."""
    row = (
        await session.execute(
            _ATTEMPT_AND_ASSESSMENT_LOCKED, {"district_id": district_id, "attempt_id": attempt_id}
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def attempt_rows(
    session: AsyncSession, attempt_id: uuid.UUID
) -> tuple[list[tuple[int, uuid.UUID]], list[ResponseRow]]:
    """(position, version id) of the attempt's items in order, and its responses in id (answer)
    order."""
    items: list[tuple[int, uuid.UUID]] = []
    responses: list[ResponseRow] = []
    for row in await _ITEMS_AND_RESPONSES_HOT.rows(session, {"attempt_id": attempt_id}):
        items.append((row[0], row[1]))
        if row[2] is not None:
            responses.append(ResponseRow(*row[2:]))
    responses.sort(key=lambda r: r.id)
    return items, responses


async def insert_response(session: AsyncSession, values: dict[str, Any]) -> None:
    """A new response: ``values`` names every column of ``_RESPONSE_COLUMNS``."""
    await _INSERT_ANSWER.execute(session, values)


async def add_attempt(session: AsyncSession, attempt: Attempt) -> None:
    session.add(attempt)
    await session.flush()


async def get_attempt(
    session: AsyncSession, district_id: uuid.UUID, attempt_id: uuid.UUID, *, lock: bool = False
) -> Attempt | None:
    query = _ATTEMPT_LOCKED if lock else _ATTEMPT
    params = {"district_id": district_id, "attempt_id": attempt_id}
    return (await session.execute(query, params)).scalar_one_or_none()


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
    session: AsyncSession,
    attempt_id: uuid.UUID,
    versions: Sequence[ItemVersion | VersionRow],
    start: int = 0,
) -> None:
    session.add_all(
        AttemptItem(
            attempt_id=attempt_id, item_id=v.item_id, item_version_id=v.id, position=start + i
        )
        for i, v in enumerate(versions)
    )
    await session.flush()


async def items_of_attempts(
    session: AsyncSession, attempt_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[int, uuid.UUID]]]:
    """The (position, version id) lists of many attempts in one query, each in position order."""
    found: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = {a: [] for a in attempt_ids}
    if not attempt_ids:
        return found
    rows = await session.execute(
        select(AttemptItem.attempt_id, AttemptItem.position, AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id.in_(found))
        .order_by(AttemptItem.attempt_id, AttemptItem.position)
    )
    for attempt_id, position, version_id in rows.all():
        found[attempt_id].append((position, version_id))
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


_RESPONSE_ROWS = select(
    _R.id, _R.item_id, _R.item_version_id, _R.answer, _R.status, _R.earned, _R.possible,
    _R.correct, _R.created_at, _R.attempt_id,
)  # fmt: skip


async def responses_of_attempts(
    session: AsyncSession, attempt_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ResponseRow]]:
    """The responses of many attempts in one query, each attempt's in id (answer) order."""
    found: dict[uuid.UUID, list[ResponseRow]] = {a: [] for a in attempt_ids}
    if not attempt_ids:
        return found
    rows = await session.execute(_RESPONSE_ROWS.where(_R.attempt_id.in_(found)).order_by(_R.id))
    for row in rows:
        found[row[9]].append(ResponseRow(*row[:9]))
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
