"""Every query of the export jobs."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.exports.models import learner_exports

__all__ = [
    "active_job_of",
    "active_jobs",
    "expired_jobs",
    "get_job",
    "insert_job",
    "job_by_id",
    "update_job",
]


async def insert_job(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(learner_exports).values(**values))


async def get_job(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, job_id: uuid.UUID
) -> RowMapping | None:
    query = select(learner_exports).where(
        learner_exports.c.id == job_id,
        learner_exports.c.district_id == district_id,
        learner_exports.c.learner_id == learner_id,
    )
    return (await session.execute(query)).mappings().first()


async def job_by_id(session: AsyncSession, job_id: uuid.UUID) -> RowMapping | None:
    query = select(learner_exports).where(learner_exports.c.id == job_id)
    return (await session.execute(query)).mappings().first()


async def active_job_of(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, requested_by: str
) -> RowMapping | None:
    query = (
        select(learner_exports)
        .where(
            learner_exports.c.district_id == district_id,
            learner_exports.c.learner_id == learner_id,
            learner_exports.c.requested_by == requested_by,
            learner_exports.c.state.in_(("queued", "running")),
        )
        .order_by(learner_exports.c.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).mappings().first()


async def active_jobs(session: AsyncSession) -> Sequence[RowMapping]:
    query = (
        select(learner_exports)
        .where(learner_exports.c.state.in_(("queued", "running")))
        .order_by(learner_exports.c.id)
    )
    return (await session.execute(query)).mappings().all()


async def expired_jobs(session: AsyncSession, now: datetime, limit: int) -> Sequence[RowMapping]:
    """Succeeded jobs whose download time is over, the oldest first."""
    query = (
        select(learner_exports.c.id, learner_exports.c.storage_key)
        .where(learner_exports.c.state == "succeeded", learner_exports.c.expires_at <= now)
        .order_by(learner_exports.c.id)
        .limit(limit)
    )
    return (await session.execute(query)).mappings().all()


async def update_job(
    session: AsyncSession, job_id: uuid.UUID, values: dict[str, Any], *, state: str | None = None
) -> bool:
    """Update a job; with ``state``, only while it is still in that state (a job another
    process took over, or one already finished, is left alone). Whether a row changed."""
    query = update(learner_exports).where(learner_exports.c.id == job_id)
    if state is not None:
        query = query.where(learner_exports.c.state == state)
    result = await session.execute(query.values(**values))
    return bool(getattr(result, "rowcount", 0))
