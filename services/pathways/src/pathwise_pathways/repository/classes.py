"""Queries on class groupings and group assignments."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import ClassGrouping

__all__ = ["get_grouping"]


async def get_grouping(
    session: AsyncSession, district_id: uuid.UUID, class_id: uuid.UUID, grouping_id: uuid.UUID
) -> ClassGrouping | None:
    stmt = select(ClassGrouping).where(
        ClassGrouping.id == grouping_id,
        ClassGrouping.district_id == district_id,
        ClassGrouping.class_id == class_id,
    )
    return (await session.scalars(stmt)).one_or_none()
