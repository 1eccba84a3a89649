"""The learner's goals as the goal-progress update reads and writes them."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import goals

__all__ = ["learner_goals", "set_progress"]


async def learner_goals(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> Sequence[RowMapping]:
    stmt = (
        select(goals.c.id, goals.c.skill_codes, goals.c.progress, goals.c.status, goals.c.version)
        .where(goals.c.district_id == district_id, goals.c.learner_id == learner_id)
        .order_by(goals.c.id)
        .with_for_update()
    )
    return (await session.execute(stmt)).mappings().all()


async def set_progress(
    session: AsyncSession,
    goal_id: uuid.UUID,
    version: int,
    progress: float,
    now: datetime,
    *,
    completed: bool = False,
) -> None:
    """The new progress; ``completed``: the goal became achieved now."""
    extra = {"status": "achieved", "completed_at": now} if completed else {}
    await session.execute(
        update(goals)
        .where(goals.c.id == goal_id)
        .values(progress=progress, version=version + 1, updated_at=now, **extra)
    )
