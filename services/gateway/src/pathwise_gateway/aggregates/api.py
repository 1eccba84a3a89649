"""``/v1/learners/{learner_id}/overview``, ``/v1/classes/{class_id}/dashboard`` and the guardian
home (``/v1/me/children…``): several services in one call (see ``aggregates/service/``)."""

import uuid
from dataclasses import asdict
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Query, Response
from pydantic import ValidationError

from pathwise_gateway.aggregates import service
from pathwise_gateway.aggregates.schemas import (
    CalibrationOut,
    ChildOut,
    ChildrenOut,
    CurrentStepOut,
    DashboardGroupingOut,
    DashboardLearnerOut,
    DashboardOut,
    EvidenceItemOut,
    FamilyGoalOut,
    FamilySummaryOut,
    GoalMasteryOut,
    MasterySummaryOut,
    OverviewOut,
    SharedArtifactOut,
    SharedOut,
    SharedReflectionOut,
    SkillStatOut,
    SupportNoteOut,
    UpcomingOut,
)
from pathwise_gateway.aggregates.service import family
from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.proxy.api.deps import GatewayDep
from pathwise_shared.access import ALL_USERS, STAFF
from pathwise_shared.problems import problem_responses
from pathwise_shared.timeutil import utcnow

__all__ = ["router"]

router = APIRouter(tags=["aggregates"])


def _grouping(raw: dict[str, Any] | None, degraded: list[str]) -> DashboardGroupingOut | None:
    # pathways' answer is checked against the contract: a malformed one is a degraded part,
    # never a 500 of the whole dashboard.
    if raw is None:
        return None
    try:
        return DashboardGroupingOut.model_validate(raw)
    except ValidationError:
        degraded.append("groups")
        return None


@router.get(
    "/v1/learners/{learner_id}/overview",
    response_model=OverviewOut,
    summary="A learner's profile, pathway and mastery summary in one call",
    **gateway_access(roles=ALL_USERS, scopes=["profiles:read"], learner="learner_id"),
)
async def learner_overview(
    learner_id: uuid.UUID, principal: CallerPrincipal, gateway: GatewayDep
) -> OverviewOut:
    """Fetched concurrently from profiles, pathways and assessment. If one of them is down the
    answer is still 200, with that part null and named in ``degraded``."""
    found = await service.learner_overview(
        gateway, principal, learner_id, correlation_id.get() or ""
    )
    return OverviewOut(
        learner_id=found.learner_id,
        profile=found.profile,
        pathway=found.pathway,
        mastery=MasterySummaryOut.model_validate(asdict(found.mastery)) if found.mastery else None,
        calibration=None
        if found.calibration is None
        else [CalibrationOut.model_validate(asdict(c)) for c in found.calibration],
        degraded=found.parts.degraded,
        withheld=found.parts.withheld,
    )


@router.get(
    "/v1/classes/{class_id}/dashboard",
    response_model=DashboardOut,
    summary="A class's roster, mastery per skill, flags and groups in one call",
    **gateway_access(roles=STAFF, scopes=["roster:read"], class_="class_id"),
)
async def class_dashboard(
    class_id: uuid.UUID, principal: CallerPrincipal, gateway: GatewayDep
) -> DashboardOut:
    """For the class's teachers and its school's admins. If pathways or assessment is down the
    answer is still 200, without flags, groups or mastery, named in ``degraded``."""
    found = await service.class_dashboard(gateway, principal, class_id, correlation_id.get() or "")
    return DashboardOut(
        class_id=found.class_id,
        school_id=uuid.UUID(found.school_id) if found.school_id else None,
        learners=[DashboardLearnerOut.model_validate(asdict(row)) for row in found.learners],
        skills=[SkillStatOut.model_validate(asdict(row)) for row in found.skills],
        groups=_grouping(found.groups, found.parts.degraded),
        degraded=found.parts.degraded,
        withheld=found.parts.withheld,
    )


GUARDIANS = frozenset({"guardian"})


@router.get(
    "/v1/me/children",
    response_model=ChildrenOut,
    summary="The calling guardian's children",
    **gateway_access(roles=GUARDIANS),
)
async def my_children(
    principal: CallerPrincipal, gateway: GatewayDep, response: Response
) -> ChildrenOut:
    """The children the caller is a guardian of (active links in their district), each with
    grade, schools and the classes they are in now. Guardians only: staff reach learners through
    their classes and schools, clients through the roster (403)."""
    found = await family.children(gateway, principal, correlation_id.get() or "")
    response.headers["Content-Language"] = found.language
    return ChildrenOut(
        language=found.language,
        children=[ChildOut.model_validate(row) for row in found.children],
    )


@router.get(
    "/v1/me/children/{learner_id}/summary",
    response_model=FamilySummaryOut,
    summary="One of the calling guardian's children: progress told to their family",
    **gateway_access(roles=GUARDIANS, learner="learner_id", refused_as_not_found=True),
)
async def my_child_summary(
    learner_id: uuid.UUID,
    principal: CallerPrincipal,
    gateway: GatewayDep,
    response: Response,
    days: int = Query(14, ge=1, le=90, description="How far ahead `upcoming` looks, in days"),
) -> FamilySummaryOut:
    """Goals and their progress, the current pathway step, recent practice, mastery by goal,
    support notes, what the child shared with their family and what is due soon, in the
    guardian's language (``Content-Language``). Another learner than one of the caller's
    children is 404. If a service is down the answer is still 200, with its parts null and
    named in ``degraded``; parts the child keeps from their family are named in ``withheld``."""
    found = await family.family_summary(
        gateway, principal, learner_id, correlation_id.get() or "", utcnow().date(), days
    )
    response.headers["Content-Language"] = found.language
    return FamilySummaryOut(
        learner_id=found.learner_id,
        display_name=found.display_name,
        language=found.language,
        labels=found.labels,
        goals=None
        if found.goals is None
        else [FamilyGoalOut.model_validate(g) for g in found.goals],
        current_step=None
        if found.current_step is None
        else CurrentStepOut.model_validate(asdict(found.current_step)),
        recent_evidence=None
        if found.recent_evidence is None
        else [EvidenceItemOut.model_validate(asdict(e)) for e in found.recent_evidence],
        mastery_by_goal=None
        if found.mastery_by_goal is None
        else [GoalMasteryOut.model_validate(asdict(g)) for g in found.mastery_by_goal],
        support_notes=None
        if found.support_notes is None
        else [SupportNoteOut.model_validate(asdict(n)) for n in found.support_notes],
        shared=SharedOut(
            reflections=None
            if found.reflections is None
            else [SharedReflectionOut.model_validate(r) for r in found.reflections],
            portfolio=None
            if found.portfolio is None
            else [SharedArtifactOut.model_validate(a) for a in found.portfolio],
        ),
        upcoming=None
        if found.upcoming is None
        else [UpcomingOut.model_validate(asdict(u)) for u in found.upcoming],
        degraded=found.parts.degraded,
        withheld=found.parts.withheld,
    )


# The services behind an aggregate can be down: declared so generated clients expect it.
for route in router.routes:
    getattr(route, "responses", {}).update(problem_responses(503))
