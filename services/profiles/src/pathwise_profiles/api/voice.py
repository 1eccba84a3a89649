"""The learner's voice: ``/v1/learners/{learner_id}/goals/{goal_id}/comments|co-sign``,
``…/reflections``, ``…/reflections/{reflection_id}/replies`` and ``…/confidence``."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from pathwise_profiles.api.deps import Policy
from pathwise_profiles.schemas.profiles import CommentIn, CommentOut, GoalOut, SkillCode
from pathwise_profiles.schemas.reflections import ConfidenceOut, ReflectionIn, ReflectionOut
from pathwise_profiles.service import voice as svc
from pathwise_shared.access import ALL_USERS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/learners/{learner_id}", tags=["learner voice"])

IfMatch = Annotated[
    str | None, Header(max_length=200, description="the ETag of the goal version you co-sign")
]


def _with(rule: dict[str, Any], *statuses: int) -> dict[str, Any]:
    rule["responses"] = {**rule["responses"], **problem_responses(*statuses)}
    return rule


@router.get(
    "/goals/{goal_id}/comments",
    **access(roles=ALL_USERS, learner="learner_id"),
)
async def list_goal_comments(
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    policy: Policy,
) -> list[CommentOut]:
    """The goal's comment thread, oldest first: the learner, their teachers and admins, and
    guardians when the learner shares their goals with guardians."""
    return await svc.list_goal_comments(session, principal, learner_id, goal_id, policy)


@router.post(
    "/goals/{goal_id}/comments",
    status_code=status.HTTP_201_CREATED,
    **access(roles=STAFF, action="write", learner="learner_id"),
)
async def add_goal_comment(
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    body: CommentIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> CommentOut:
    """A teacher of the learner (or an admin) comments on one of the learner's goals."""
    return await svc.add_goal_comment(session, principal, learner_id, goal_id, body)


@router.post(
    "/goals/{goal_id}/co-sign",
    **_with(access(roles=STAFF, action="write", learner="learner_id"), 409, 412, 428),
)
async def co_sign_goal(
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatch = None,
) -> GoalOut:
    """A teacher of the learner (or an admin) co-signs the goal as read (``If-Match``: 428
    without, 412 when it changed). A learner's later edit of its title, skills or date clears
    the co-sign."""
    goal = await svc.co_sign_goal(session, principal, learner_id, goal_id, if_match)
    response.headers["ETag"] = goal.etag
    return goal


@router.post(
    "/reflections",
    status_code=status.HTTP_201_CREATED,
    **access(roles={"student"}, action="write", learner="learner_id"),
)
async def add_reflection(
    learner_id: uuid.UUID, body: ReflectionIn, principal: CurrentPrincipal, session: DbSession
) -> ReflectionOut:
    """The learner rates their confidence (1-4) on one of their steps, a skill or one of their
    goals, with an optional journal entry. Only the learner writes their own reflections."""
    return await svc.add_reflection(session, principal, learner_id, body)


@router.get("/reflections", **access(roles=ALL_USERS, learner="learner_id"))
async def list_reflections(
    learner_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    policy: Policy,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
    skill_code: Annotated[SkillCode | None, Query()] = None,
    goal_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
) -> Page[ReflectionOut]:
    """Newest first, each with its replies; the learner, their teachers and admins, guardians
    only when the learner shares reflections with guardians."""
    return await svc.list_reflections(
        session,
        principal,
        learner_id,
        policy,
        cursor=cursor,
        limit=limit,
        skill_code=skill_code,
        goal_id=goal_id,
        step_id=step_id,
    )


@router.get("/reflections/{reflection_id}", **access(roles=ALL_USERS, learner="learner_id"))
async def get_reflection(
    learner_id: uuid.UUID,
    reflection_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    policy: Policy,
) -> ReflectionOut:
    return await svc.get_reflection(session, principal, learner_id, reflection_id, policy)


@router.post(
    "/reflections/{reflection_id}/replies",
    status_code=status.HTTP_201_CREATED,
    **access(roles=STAFF, action="write", learner="learner_id"),
)
async def add_reply(
    learner_id: uuid.UUID,
    reflection_id: uuid.UUID,
    body: CommentIn,
    principal: CurrentPrincipal,
    session: DbSession,
    policy: Policy,
) -> CommentOut:
    """A teacher of the learner (or an admin) replies to a reflection."""
    return await svc.add_reply(session, principal, learner_id, reflection_id, body, policy)


@router.get("/confidence", **access(roles=ALL_USERS, learner="learner_id"))
async def latest_confidence(
    learner_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, policy: Policy
) -> ConfidenceOut:
    """Per skill, the learner's latest self-rated confidence (read as the reflections are);
    the gateway's learner overview sets it beside mastery as the calibration signal."""
    return await svc.latest_confidences(session, principal, learner_id, policy)
