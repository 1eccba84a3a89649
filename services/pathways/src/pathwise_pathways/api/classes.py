"""``/v1/classes/{class_id}/groups`` and ``/v1/classes/{class_id}/insights``: teacher tools."""

import uuid
from typing import Any

from fastapi import APIRouter, status

from pathwise_pathways.api.deps import Cache, DatabaseDep, DistrictId, UpstreamDep
from pathwise_pathways.models import ClassGrouping
from pathwise_pathways.schemas.classes import (
    AssignedActivityOut,
    AssignmentRequest,
    AssignmentsOut,
    GroupingOut,
    GroupingRequest,
    GroupOut,
    InsightOut,
    InsightsOut,
)
from pathwise_pathways.schemas.flags import FlagOut
from pathwise_pathways.service import classes as service
from pathwise_shared.access import STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal

__all__ = ["router"]

router = APIRouter(prefix="/v1/classes/{class_id}", tags=["classes"])


def _staff(action: str = "read") -> dict[str, Any]:
    scopes = {"pathways:write"} if action == "write" else {"pathways:read", "pathways:write"}
    return access(
        roles=STAFF,
        scopes=scopes,
        action="write" if action == "write" else "read",
        class_="class_id",
    )


def grouping_out(
    g: ClassGrouping, activities: dict[int, tuple[uuid.UUID, str]] | None = None
) -> GroupingOut:
    assigned = activities or {}
    return GroupingOut(
        id=g.id,
        class_id=g.class_id,
        strategy=g.strategy,
        groups=[
            GroupOut.model_validate(
                {
                    **group,
                    "activity": AssignedActivityOut(
                        id=assigned[group["index"]][0], title=assigned[group["index"]][1]
                    )
                    if group["index"] in assigned
                    else None,
                }
            )
            for group in g.groups
        ],
        created_by=g.created_by,
        created_at=g.created_at,
    )


@router.get("/groups", response_model=GroupingOut, **_staff())
async def current_groups(
    class_id: uuid.UUID, session: DbSession, district_id: DistrictId
) -> GroupingOut:
    """The latest grouping made for the class: its groups, members, skills and the activity
    assigned to each group. 404 (``class-not-grouped``) when the class has never been grouped."""
    grouping, activities = await service.current_grouping(session, district_id, class_id)
    return grouping_out(grouping, activities)


@router.post(
    "/groups", response_model=GroupingOut, status_code=status.HTTP_201_CREATED, **_staff("write")
)
async def group_class(
    class_id: uuid.UUID,
    body: GroupingRequest,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    cache: Cache,
    upstream: UpstreamDep,
) -> GroupingOut:
    """Split the class by next needed skill or by mastery band, within min/max group sizes."""
    grouping = await service.make_groups(
        session,
        cache,
        upstream,
        principal,
        district_id,
        class_id,
        strategy=body.strategy,
        min_size=body.min_size,
        max_size=body.max_size,
        skill_codes=body.skill_codes,
    )
    return grouping_out(grouping)


@router.post("/groups/{grouping_id}/assignments", response_model=AssignmentsOut, **_staff("write"))
async def assign_group_activities(
    class_id: uuid.UUID,
    grouping_id: uuid.UUID,
    body: AssignmentRequest,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
) -> AssignmentsOut:
    """One activity per group in one call ("differentiate in one click")."""
    assigned, updated = await service.assign(
        session,
        principal,
        district_id,
        class_id,
        grouping_id,
        [(a.group_index, a.activity_id) for a in body.assignments],
    )
    return AssignmentsOut(grouping_id=grouping_id, assigned=assigned, pathways_updated=updated)


@router.get("/insights", response_model=InsightsOut, **_staff())
async def class_insights(
    class_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    upstream: UpstreamDep,
    db: DatabaseDep,
    cache: Cache,
) -> InsightsOut:
    """Learners flagged early, each flag with a reason code and the numbers behind it; the flags
    are recomputed from the evidence on this read and stored (events on change)."""
    rows = await service.class_insights(
        session, db, upstream, cache, principal, district_id, class_id
    )
    return InsightsOut(
        class_id=class_id,
        learners=[
            InsightOut(
                learner_id=uuid.UUID(str(row["id"])),
                display_name=row.get("display_name"),
                flags=[FlagOut.model_validate(f) for f in flags],
            )
            for row, flags in rows
        ],
    )
