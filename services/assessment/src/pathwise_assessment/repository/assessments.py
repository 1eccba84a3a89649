"""Queries on assessments and their fixed item lists."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Assessment, AssessmentItem

__all__ = [
    "add_assessment",
    "assessment_item_ids",
    "assessments_by_id",
    "get_assessment",
    "get_assessment_by_key",
    "list_assessments",
]


async def add_assessment(
    session: AsyncSession, assessment: Assessment, item_ids: Sequence[uuid.UUID]
) -> None:
    session.add(assessment)
    await session.flush()
    session.add_all(
        AssessmentItem(assessment_id=assessment.id, item_id=item_id, position=i)
        for i, item_id in enumerate(item_ids)
    )
    await session.flush()


async def get_assessment(
    session: AsyncSession, district_id: uuid.UUID, assessment_id: uuid.UUID
) -> Assessment | None:
    return (
        await session.execute(
            select(Assessment).where(
                Assessment.district_id == district_id, Assessment.id == assessment_id
            )
        )
    ).scalar_one_or_none()


async def assessments_by_id(
    session: AsyncSession, district_id: uuid.UUID, assessment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Assessment]:
    """Many assessments in one query (a page of attempts names several)."""
    if not assessment_ids:
        return {}
    rows = await session.execute(
        select(Assessment).where(
            Assessment.district_id == district_id, Assessment.id.in_(set(assessment_ids))
        )
    )
    return {a.id: a for a in rows.scalars()}


async def get_assessment_by_key(
    session: AsyncSession, district_id: uuid.UUID, key: str
) -> Assessment | None:
    return (
        await session.execute(
            select(Assessment).where(
                Assessment.district_id == district_id, Assessment.idempotency_key == key
            )
        )
    ).scalar_one_or_none()


async def assessment_item_ids(session: AsyncSession, assessment_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(AssessmentItem.item_id)
        .where(AssessmentItem.assessment_id == assessment_id)
        .order_by(AssessmentItem.position)
    )
    return list(rows.scalars())


async def list_assessments(
    session: AsyncSession, district_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[Assessment]:
    query = (
        select(Assessment)
        .where(Assessment.district_id == district_id)
        .order_by(Assessment.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(Assessment.id > after)
    return list((await session.execute(query)).scalars())
