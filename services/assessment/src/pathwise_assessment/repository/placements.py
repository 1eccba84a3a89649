"""Queries for placement: a learner's finished diagnostic attempts."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Assessment, Attempt

__all__ = ["finished_diagnostics"]


async def finished_diagnostics(
    session: AsyncSession, district_id: uuid.UUID | None, learner_id: uuid.UUID
) -> list[Attempt]:
    """The learner's finished diagnostic attempts, oldest first (``None``: any district, for our
    own system jobs)."""
    query = (
        select(Attempt)
        .join(Assessment, Assessment.id == Attempt.assessment_id)
        .where(
            Attempt.learner_id == learner_id,
            Attempt.status == "finished",
            Assessment.kind == "diagnostic",
        )
        .order_by(Attempt.finished_at, Attempt.id)
    )
    if district_id is not None:
        query = query.where(Attempt.district_id == district_id)
    return list((await session.execute(query)).scalars())
