"""Learner profile, goal and history queries."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import goals, learner_profiles, profile_history

__all__ = [
    "delete_goal",
    "get_goal",
    "get_profile",
    "insert_goal",
    "insert_history",
    "list_goals",
    "list_history",
    "update_goal_if_version",
    "update_profile_if_version",
]


async def get_profile(
    session: AsyncSession, learner_id: uuid.UUID, district_id: uuid.UUID
) -> RowMapping | None:
    stmt = select(learner_profiles).where(
        learner_profiles.c.learner_id == learner_id, learner_profiles.c.district_id == district_id
    )
    return (await session.execute(stmt)).mappings().first()


async def update_profile_if_version(
    session: AsyncSession, learner_id: uuid.UUID, version: int, values: dict[str, Any]
) -> bool:
    """Compare-and-set on the version: False when another writer got there first."""
    result = await session.execute(
        update(learner_profiles)
        .where(learner_profiles.c.learner_id == learner_id, learner_profiles.c.version == version)
        .values(**values, version=version + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def list_goals(session: AsyncSession, learner_id: uuid.UUID) -> Sequence[RowMapping]:
    stmt = select(goals).where(goals.c.learner_id == learner_id).order_by(goals.c.id)
    return (await session.execute(stmt)).mappings().all()


async def get_goal(
    session: AsyncSession, learner_id: uuid.UUID, goal_id: uuid.UUID
) -> RowMapping | None:
    stmt = select(goals).where(goals.c.id == goal_id, goals.c.learner_id == learner_id)
    return (await session.execute(stmt)).mappings().first()


async def insert_goal(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(goals).values(**values))


async def update_goal_if_version(
    session: AsyncSession, goal_id: uuid.UUID, version: int, values: dict[str, Any]
) -> bool:
    result = await session.execute(
        update(goals)
        .where(goals.c.id == goal_id, goals.c.version == version)
        .values(**values, version=version + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def delete_goal(session: AsyncSession, goal_id: uuid.UUID, version: int) -> bool:
    result = await session.execute(
        delete(goals).where(goals.c.id == goal_id, goals.c.version == version)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def insert_history(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(profile_history).values(**values))


async def list_history(
    session: AsyncSession, learner_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Sequence[RowMapping]:
    stmt = select(profile_history).where(profile_history.c.learner_id == learner_id)
    if after is not None:
        stmt = stmt.where(profile_history.c.id > after)
    stmt = stmt.order_by(profile_history.c.id).limit(limit + 1)
    return (await session.execute(stmt)).mappings().all()
