"""Every query of the deletion jobs."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.deletions.models import learner_deletions

__all__ = [
    "active_job_of",
    "active_jobs",
    "get_job",
    "insert_job",
    "job_by_id",
    "update_job",
]


async def insert_job(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert the job; False when another unfinished job of the learner got there first (the
    partial unique index ``uq_learner_deletions_unfinished``), with nothing written."""
    try:
        async with session.begin_nested():
            await session.execute(insert(learner_deletions).values(**values))
    except IntegrityError:
        return False
    return True


async def get_job(
    session: AsyncSession, district_id: uuid.UUID, job_id: uuid.UUID
) -> RowMapping | None:
    query = select(learner_deletions).where(
        learner_deletions.c.id == job_id, learner_deletions.c.district_id == district_id
    )
    return (await session.execute(query)).mappings().first()


async def job_by_id(session: AsyncSession, job_id: uuid.UUID) -> RowMapping | None:
    query = select(learner_deletions).where(learner_deletions.c.id == job_id)
    return (await session.execute(query)).mappings().first()


async def active_job_of(
    session: AsyncSession, district_id: uuid.UUID, tombstone: str
) -> RowMapping | None:
    query = (
        select(learner_deletions)
        .where(
            learner_deletions.c.district_id == district_id,
            learner_deletions.c.tombstone == tombstone,
            learner_deletions.c.state.in_(("queued", "running", "failed")),
        )
        .order_by(learner_deletions.c.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).mappings().first()


async def active_jobs(session: AsyncSession) -> Sequence[RowMapping]:
    """The unfinished jobs (a failed one is tried again until it succeeds)."""
    query = (
        select(learner_deletions)
        .where(learner_deletions.c.state.in_(("queued", "running", "failed")))
        .order_by(learner_deletions.c.id)
    )
    return (await session.execute(query)).mappings().all()


async def update_job(
    session: AsyncSession, job_id: uuid.UUID, values: dict[str, Any], *, state: str | None = None
) -> bool:
    """Update a job; with ``state``, only while it is still in that state. Whether a row
    changed."""
    query = update(learner_deletions).where(learner_deletions.c.id == job_id)
    if state is not None:
        query = query.where(learner_deletions.c.state == state)
    result = await session.execute(query.values(**values))
    return bool(getattr(result, "rowcount", 0))
