"""Goal comments, reflections and their replies: the learner's voice beside their profile."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import goal_comments, reflection_replies, reflections

__all__ = [
    "get_reflection",
    "insert_comment",
    "insert_reflection",
    "insert_reply",
    "list_comments",
    "list_reflections",
    "replies_of",
    "skill_ratings",
]


async def insert_comment(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(goal_comments).values(**values))


async def list_comments(
    session: AsyncSession, district_id: uuid.UUID, goal_id: uuid.UUID
) -> Sequence[RowMapping]:
    stmt = (
        select(goal_comments)
        .where(goal_comments.c.district_id == district_id, goal_comments.c.goal_id == goal_id)
        .order_by(goal_comments.c.id)
    )
    return (await session.execute(stmt)).mappings().all()


async def insert_reflection(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(reflections).values(**values))


async def get_reflection(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, reflection_id: uuid.UUID
) -> RowMapping | None:
    stmt = select(reflections).where(
        reflections.c.id == reflection_id,
        reflections.c.learner_id == learner_id,
        reflections.c.district_id == district_id,
    )
    return (await session.execute(stmt)).mappings().first()


async def list_reflections(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    *,
    after: uuid.UUID | None,
    limit: int,
    skill_code: str | None = None,
    goal_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
) -> Sequence[RowMapping]:
    """Newest first, keyset on the (time-ordered) id; ``limit + 1`` rows to know if more follow."""
    stmt = select(reflections).where(
        reflections.c.district_id == district_id, reflections.c.learner_id == learner_id
    )
    if after is not None:
        stmt = stmt.where(reflections.c.id < after)
    if skill_code is not None:
        stmt = stmt.where(reflections.c.skill_code == skill_code)
    if goal_id is not None:
        stmt = stmt.where(reflections.c.goal_id == goal_id)
    if step_id is not None:
        stmt = stmt.where(reflections.c.step_id == step_id)
    stmt = stmt.order_by(reflections.c.id.desc()).limit(limit + 1)
    return (await session.execute(stmt)).mappings().all()


async def insert_reply(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(reflection_replies).values(**values))


async def replies_of(
    session: AsyncSession, district_id: uuid.UUID, reflection_ids: Sequence[uuid.UUID]
) -> Sequence[RowMapping]:
    if not reflection_ids:
        return []
    stmt = (
        select(reflection_replies)
        .where(
            reflection_replies.c.district_id == district_id,
            reflection_replies.c.reflection_id.in_(reflection_ids),
        )
        .order_by(reflection_replies.c.id)
    )
    return (await session.execute(stmt)).mappings().all()


async def skill_ratings(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> Sequence[RowMapping]:
    """Every skill reflection's rating of the learner (the domain keeps each skill's latest)."""
    stmt = select(
        reflections.c.id,
        reflections.c.skill_code,
        reflections.c.confidence,
        reflections.c.created_at,
    ).where(
        reflections.c.district_id == district_id,
        reflections.c.learner_id == learner_id,
        reflections.c.target_kind == "skill",
    )
    return (await session.execute(stmt)).mappings().all()
