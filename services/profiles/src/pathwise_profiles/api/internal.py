"""Internal operations for the gateway and the other services (never exposed publicly)."""

import uuid

from fastapi import APIRouter, Depends

from pathwise_profiles.api.deps import Policy, Settings
from pathwise_profiles.schemas.goal_progress import GoalProgressIn, GoalProgressOut
from pathwise_profiles.schemas.internal import (
    AccessCheckAnswer,
    AccessCheckRequest,
    ClassLearners,
    Disclosure,
    GuardianChildren,
    LearnerGoal,
    PeopleNames,
    PeopleNamesRequest,
    PlanningProfile,
    ResolvedPrincipal,
    ResolveRequest,
    RosterChanges,
    RosterChangesResult,
)
from pathwise_profiles.service import lookups
from pathwise_profiles.service import notifications as notifications_service
from pathwise_profiles.service.access import check_alone
from pathwise_profiles.service.goal_progress import apply_goal_progress
from pathwise_profiles.service.inbound import apply_changes
from pathwise_shared.access import role_guard
from pathwise_shared.app import DatabaseDep, DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.events import EventEnvelope
from pathwise_shared.problems import problem_responses
from pathwise_shared.subscriber import add_batch_route

__all__ = ["router"]

router = APIRouter(prefix="/internal", tags=["internal"], responses=problem_responses(401, 422))


@router.post("/access-check", response_model=AccessCheckAnswer)
async def access_check(
    body: AccessCheckRequest, principal: CurrentPrincipal, db: DatabaseDep
) -> AccessCheckAnswer:
    """May the calling principal do ``action`` on the learner, class or school?"""
    target, object_id = body.target()
    decision = await check_alone(db, principal, body.action, target, object_id)
    return AccessCheckAnswer(allowed=decision.allowed, found=decision.found, reason=decision.reason)


@router.post(
    "/principals/resolve",
    response_model=ResolvedPrincipal,
    responses=problem_responses(403, 404, 409),
)
async def resolve_principal(
    body: ResolveRequest, principal: CurrentPrincipal, session: DbSession
) -> ResolvedPrincipal:
    """A user's roles, schools and status, by id, username or (system only) sourcedId."""
    return await lookups.resolve_principal(session, principal, body)


@router.post("/people/names", response_model=PeopleNames)
async def people_names(
    body: PeopleNamesRequest, principal: CurrentPrincipal, session: DbSession
) -> PeopleNames:
    """Display names and roles of users of the caller's district, in bulk (the gateway's
    audit log names its actors and learners with one call per page)."""
    return await lookups.people_names(session, principal, body)


@router.get(
    "/learners/{learner_id}/planning-profile",
    response_model=PlanningProfile,
    responses=problem_responses(404),
)
async def planning_profile(
    learner_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> PlanningProfile:
    """What pathways and assessment plan with: interests, formats, languages, pace, goals."""
    return await lookups.planning_profile(session, principal, learner_id)


@router.get(
    "/learners/{learner_id}/goals/{goal_id}",
    response_model=LearnerGoal,
    responses=problem_responses(404),
)
async def learner_goal(
    learner_id: uuid.UUID, goal_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> LearnerGoal:
    """One goal of the learner: its status and target skills, for assessment's credential for
    a completed goal (docs/assessment.md, "Credentials")."""
    return await lookups.learner_goal(session, principal, learner_id, goal_id)


@router.get(
    "/learners/{learner_id}/disclosure",
    response_model=Disclosure,
    responses=problem_responses(403, 404),
)
async def learner_disclosure(
    learner_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    policy: Policy,
) -> Disclosure:
    """Which profile parts the calling principal may not see; pathways and assessment withhold
    what they derive from those parts (docs/profiles.md, "Derived data")."""
    return await lookups.read_disclosure(db, principal, learner_id, policy)


@router.get("/me/children", response_model=GuardianChildren)
async def guardian_children(principal: CurrentPrincipal, session: DbSession) -> GuardianChildren:
    """The calling guardian's children (active links, their district), each with grade, schools
    and current classes, and the guardian's preferred language; empty for anyone else."""
    return await lookups.guardian_children(session, principal)


@router.get(
    "/classes/{class_id}/learners", response_model=ClassLearners, responses=problem_responses(404)
)
async def class_learners(
    class_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, policy: Policy
) -> ClassLearners:
    """The actively enrolled students of a class, each with the parts the caller may not see."""
    return await lookups.class_learners(session, principal, class_id, policy)


@router.post(
    "/roster/changes",
    response_model=RosterChangesResult,
    responses=problem_responses(403, 409),
    # Only our own system principals (the gateway's verified inbound webhook) push rosters here,
    # so only they can send ``force``.
    dependencies=[Depends(role_guard((), ()))],
)
async def roster_changes(
    body: RosterChanges, principal: CurrentPrincipal, session: DbSession, settings: Settings
) -> RosterChangesResult:
    """Apply OneRoster-shaped users, classes and enrollments to the principal's district; 409
    when the batch trips the mass-change guard without ``force``."""
    return await apply_changes(session, principal, body, settings.import_guard_limits())


@router.put(
    "/learners/{learner_id}/goal-progress",
    response_model=GoalProgressOut,
    responses=problem_responses(403),
    # Only our own system principals: pathways, when mastery of a goal's skills moves.
    dependencies=[Depends(role_guard((), ()))],
)
async def goal_progress(
    learner_id: uuid.UUID, body: GoalProgressIn, principal: CurrentPrincipal, session: DbSession
) -> GoalProgressOut:
    """Set the learner's goals' ``progress`` from mastery (docs/profiles.md, "Goals")."""
    return GoalProgressOut(
        updated=await apply_goal_progress(session, principal, learner_id, body.skills)
    )


@router.post(
    "/events",
    responses=problem_responses(403),
    dependencies=[Depends(role_guard((), ()))],
)
async def receive_event(
    envelope: EventEnvelope, principal: CurrentPrincipal, session: DbSession
) -> dict[str, str]:
    """Event subscriber (the gateway's fan-out): ``mastery.changed`` (a skill became mastered),
    ``learner.flagged`` and ``message.posted`` notify their recipients (docs/profiles.md,
    "Notifications"). Idempotent on the event id: a redelivery answers ``duplicate`` and adds
    nothing."""
    return {"status": await notifications_service.receive_event(session, principal, envelope)}


add_batch_route(
    router,
    notifications_service.receive_event,
    responses=problem_responses(403),
    dependencies=[Depends(role_guard((), ()))],
)
