"""Queries on class groupings and group assignments."""

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import Activity, ClassGrouping, GroupAssignment

__all__ = ["clear_assignments", "get_grouping", "group_activities", "latest_grouping"]


async def get_grouping(
    session: AsyncSession, district_id: uuid.UUID, class_id: uuid.UUID, grouping_id: uuid.UUID
) -> ClassGrouping | None:
    stmt = select(ClassGrouping).where(
        ClassGrouping.id == grouping_id,
        ClassGrouping.district_id == district_id,
        ClassGrouping.class_id == class_id,
    )
    return (await session.scalars(stmt)).one_or_none()


# The class dashboard's reads, built once (bound parameters) rather than per request.
# Ids are UUIDv7, so the highest id is the newest grouping (and the index covers the order).
_LATEST_GROUPING = (
    select(ClassGrouping)
    .where(
        ClassGrouping.district_id == bindparam("district_id"),
        ClassGrouping.class_id == bindparam("class_id"),
    )
    .order_by(ClassGrouping.id.desc())
    .limit(1)
)
_GROUP_ACTIVITIES = (
    select(GroupAssignment.group_index, Activity.id, Activity.title)
    .join(Activity, Activity.id == GroupAssignment.activity_id)
    .where(GroupAssignment.grouping_id == bindparam("grouping_id"))
    .distinct()
)


async def latest_grouping(
    session: AsyncSession, district_id: uuid.UUID, class_id: uuid.UUID
) -> ClassGrouping | None:
    params = {"district_id": district_id, "class_id": class_id}
    return (await session.scalars(_LATEST_GROUPING, params)).one_or_none()


async def group_activities(
    session: AsyncSession, grouping_id: uuid.UUID
) -> dict[int, tuple[uuid.UUID, str]]:
    """Group index → the activity assigned to that group (id, title)."""
    rows = await session.execute(_GROUP_ACTIVITIES, {"grouping_id": grouping_id})
    return {index: (activity_id, title) for index, activity_id, title in rows}


async def clear_assignments(
    session: AsyncSession, grouping_id: uuid.UUID, group_indexes: Sequence[int]
) -> None:
    await session.execute(
        delete(GroupAssignment).where(
            GroupAssignment.grouping_id == grouping_id,
            GroupAssignment.group_index.in_(list(group_indexes)),
        )
    )
