"""Learner profile, goal and history queries.

The reads are built once at import (bound parameters for every value): the profile read is the
service's hottest path, and building a statement per call cost more than running it.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, RowMapping, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.access_rules import Relations
from pathwise_profiles.models import goals, learner_profiles, profile_history
from pathwise_profiles.repository.access import (
    DISTRICT,
    OBJECT,
    AnySelect,
    relation_columns,
    relation_names,
    relation_params,
    relations_from,
)
from pathwise_shared.auth import Principal
from pathwise_shared.db.driver import HotStatement
from pathwise_shared.db.uow import StatementReader

__all__ = [
    "ProfileRead",
    "delete_goal",
    "get_goal",
    "get_profile",
    "insert_goal",
    "insert_history",
    "list_goals",
    "list_history",
    "read_profile",
    "update_goal_if_version",
    "update_profile_if_version",
]

_LEARNER: BindParameter[uuid.UUID] = bindparam("learner_id")
_GOAL: BindParameter[uuid.UUID] = bindparam("goal_id")
_PROFILE = select(learner_profiles).where(
    learner_profiles.c.learner_id == _LEARNER, learner_profiles.c.district_id == DISTRICT
)
_GOALS = select(goals).where(goals.c.learner_id == _LEARNER).order_by(goals.c.id)
_GOAL_BY_ID = select(goals).where(goals.c.id == _GOAL, goals.c.learner_id == _LEARNER)
# The goal columns beside the profile's in the one-statement read, prefixed to keep them apart.
_GOAL_PREFIX = "goal_"
_GOAL_KEYS = tuple((c.name, _GOAL_PREFIX + c.name) for c in goals.c)


@dataclass(frozen=True)
class ProfileRead:
    """The profile, its goals (by id) and the reader's relations to the learner, as one read."""

    relations: Relations
    row: Mapping[Any, Any]
    goals: list[dict[str, Any]]


@cache
def _profile_read(names: tuple[str, ...]) -> HotStatement:
    """The profile read's statement on the driver (a profile read's hottest part)."""
    return HotStatement(_profile_with_facts(names))


@cache
def _profile_with_facts(names: tuple[str, ...]) -> AnySelect:
    """The profile, one row per goal (one row with null goal columns without goals) and the
    access check's relation columns: the whole profile read in one statement."""
    return (
        select(
            learner_profiles,
            *(c.label(_GOAL_PREFIX + c.name) for c in goals.c),
            *relation_columns("learner", names),
        )
        .select_from(
            learner_profiles.outerjoin(goals, goals.c.learner_id == learner_profiles.c.learner_id)
        )
        .where(learner_profiles.c.learner_id == OBJECT, learner_profiles.c.district_id == DISTRICT)
        .order_by(goals.c.id)
    )


async def read_profile(
    session: StatementReader, principal: Principal, learner_id: uuid.UUID, today: date
) -> ProfileRead | None:
    """The profile in the principal's district with its goals and the access facts; None when
    there is none (the caller answers 404). The caller decides access before showing anything."""
    names = relation_names(principal, "learner")
    rows = await _profile_read(names).mappings(
        session, relation_params(principal, learner_id, today)
    )
    if not rows:
        return None
    first = rows[0]
    goal_rows = [
        {name: r[key] for name, key in _GOAL_KEYS} for r in rows if r["goal_id"] is not None
    ]
    return ProfileRead(
        relations=relations_from(first, principal, "learner", learner_id, names),
        row=first,
        goals=goal_rows,
    )


async def get_profile(
    session: AsyncSession, learner_id: uuid.UUID, district_id: uuid.UUID
) -> RowMapping | None:
    params = {"learner_id": learner_id, "district_id": district_id}
    return (await session.execute(_PROFILE, params)).mappings().first()


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
    return (await session.execute(_GOALS, {"learner_id": learner_id})).mappings().all()


async def get_goal(
    session: AsyncSession, learner_id: uuid.UUID, goal_id: uuid.UUID
) -> RowMapping | None:
    params = {"goal_id": goal_id, "learner_id": learner_id}
    return (await session.execute(_GOAL_BY_ID, params)).mappings().first()


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
