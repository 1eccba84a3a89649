"""Public learner profile operations: ``/v1/learners/{learner_id}/profile|goals|history``."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status

from pathwise_profiles.api.deps import Policy
from pathwise_profiles.schemas.profiles import (
    GoalCreate,
    GoalOut,
    GoalUpdate,
    HistoryEntry,
    ProfileOut,
    ProfilePatch,
)
from pathwise_profiles.service import profiles as svc
from pathwise_shared.access import ALL_USERS, STAFF, access
from pathwise_shared.app import DatabaseDep, DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/learners/{learner_id}", tags=["learner profiles"])

EDITORS = STAFF | {"student"}
IfMatch = Annotated[
    str | None, Header(max_length=200, description="the ETag of the version you edit")
]


def _edit_access() -> dict[str, Any]:
    """``access(...)`` plus the concurrency problems an edit can answer (409, 412, 428)."""
    rule = access(roles=EDITORS, action="write", learner="learner_id")
    rule["responses"] = {**rule["responses"], **problem_responses(409, 412, 428)}
    return rule


@router.get("/profile", **access(roles=ALL_USERS, scopes={"profiles:read"}, learner="learner_id"))
async def get_profile(
    learner_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    policy: Policy,
    response: Response,
) -> ProfileOut:
    """The profile as this reader may see it; withheld parts are null and named in ``hidden``."""
    profile = await svc.read_profile(db, principal, learner_id, policy)
    response.headers["ETag"] = profile.etag
    return profile


@router.patch(
    "/profile",
    **_edit_access(),
)
async def patch_profile(
    learner_id: uuid.UUID,
    body: ProfilePatch,
    principal: CurrentPrincipal,
    session: DbSession,
    policy: Policy,
    response: Response,
    if_match: IfMatch = None,
) -> ProfileOut:
    """Change some parts; needs ``If-Match`` (428 without, 412 when stale)."""
    profile = await svc.patch_profile(session, principal, learner_id, body, if_match, policy)
    response.headers["ETag"] = profile.etag
    return profile


@router.get("/goals", **access(roles=ALL_USERS, scopes={"profiles:read"}, learner="learner_id"))
async def list_goals(
    learner_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, policy: Policy
) -> list[GoalOut]:
    return await svc.list_goals(session, principal, learner_id, policy)


@router.post(
    "/goals",
    status_code=status.HTTP_201_CREATED,
    **access(roles=EDITORS, action="write", learner="learner_id"),
)
async def create_goal(
    learner_id: uuid.UUID,
    body: GoalCreate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> GoalOut:
    goal = await svc.create_goal(session, principal, learner_id, body)
    response.headers["ETag"] = goal.etag
    return goal


@router.patch(
    "/goals/{goal_id}",
    **_edit_access(),
)
async def update_goal(
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    body: GoalUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatch = None,
) -> GoalOut:
    goal = await svc.update_goal(session, principal, learner_id, goal_id, body, if_match)
    response.headers["ETag"] = goal.etag
    return goal


@router.delete(
    "/goals/{goal_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **_edit_access(),
)
async def delete_goal(
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    await svc.delete_goal(session, principal, learner_id, goal_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/history", **access(roles=STAFF, learner="learner_id"))
async def list_history(
    learner_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[HistoryEntry]:
    """Every change of the profile and its goals: who, when, which fields, before and after."""
    return await svc.list_history(session, principal, learner_id, cursor=cursor, limit=limit)
