"""Queries on learners' stored flags."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import LearnerFlag

__all__ = ["flags_of", "get_flag"]


async def flags_of(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_ids: Sequence[uuid.UUID],
    *,
    lock: bool = False,
) -> list[LearnerFlag]:
    if not learner_ids:
        return []
    stmt = (
        select(LearnerFlag)
        .where(LearnerFlag.district_id == district_id, LearnerFlag.learner_id.in_(learner_ids))
        .order_by(LearnerFlag.learner_id, LearnerFlag.code)
    )
    if lock:
        stmt = stmt.with_for_update()
    return list(await session.scalars(stmt))


async def get_flag(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    code: str,
    *,
    lock: bool = False,
) -> LearnerFlag | None:
    stmt = select(LearnerFlag).where(
        LearnerFlag.district_id == district_id,
        LearnerFlag.learner_id == learner_id,
        LearnerFlag.code == code,
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()
