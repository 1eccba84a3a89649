"""``/v1/learners/{learner_id}/overview`` and ``/v1/classes/{class_id}/dashboard``: several
services in one call (see ``service/aggregates.py``)."""

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from pathwise_gateway.authz import gateway_access
from pathwise_gateway.security import CallerPrincipal
from pathwise_gateway.service import aggregates as service
from pathwise_shared.access import ALL_USERS, STAFF
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(tags=["aggregates"])

_DEGRADED = "Parts left out because their service is unavailable right now (retry later)."
_WITHHELD = "Parts left out because the caller may not see them."


class SkillMasteryOut(BaseModel):
    skill_code: str
    p_known: float
    mastered: bool = False
    level: str | None = None
    evidence_count: int | None = None


class MasterySummaryOut(BaseModel):
    skills_tracked: int
    skills_mastered: int
    mean_p_known: float | None
    skills: list[SkillMasteryOut]


class OverviewOut(BaseModel):
    learner_id: uuid.UUID
    profile: dict[str, Any] | None = Field(description="As GET /v1/learners/{id}/profile")
    pathway: dict[str, Any] | None = Field(
        description="As GET /v1/learners/{id}/pathway; null when none is planned yet"
    )
    mastery: MasterySummaryOut | None
    degraded: list[str] = Field(description=_DEGRADED)
    withheld: list[str] = Field(description=_WITHHELD)


class DashboardLearnerOut(BaseModel):
    id: uuid.UUID
    display_name: str | None
    grade: str | None
    flags: list[dict[str, str]] = Field(description="Early-warning flags, each with a reason")
    mastery: dict[str, float] = Field(description="skill code → probability the skill is known")


class SkillStatOut(BaseModel):
    skill_code: str
    learners_assessed: int
    learners_mastered: int
    mean_p_known: float


class AssignedActivityOut(BaseModel):
    id: uuid.UUID
    title: str


class DashboardGroupOut(BaseModel):
    index: int
    label: str
    skill_codes: list[str]
    learner_ids: list[uuid.UUID]
    activity: AssignedActivityOut | None = Field(
        None, description="The activity assigned to the whole group, if any"
    )


class DashboardGroupingOut(BaseModel):
    id: uuid.UUID
    strategy: str
    groups: list[DashboardGroupOut]
    created_by: str
    created_at: datetime


class DashboardOut(BaseModel):
    class_id: uuid.UUID
    school_id: uuid.UUID | None
    learners: list[DashboardLearnerOut] = Field(description="The class roster")
    skills: list[SkillStatOut] = Field(description="Mastery per skill across the class")
    groups: DashboardGroupingOut | None = Field(
        description="The class's latest grouping (as GET /v1/classes/{id}/groups); null when "
        "the class has never been grouped, or when pathways is down (then named in degraded)"
    )
    degraded: list[str] = Field(description=_DEGRADED)
    withheld: list[str] = Field(description=_WITHHELD)


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
    learner_id: uuid.UUID, request: Request, principal: CallerPrincipal
) -> OverviewOut:
    """Fetched concurrently from profiles, pathways and assessment. If one of them is down the
    answer is still 200, with that part null and named in ``degraded``."""
    found = await service.learner_overview(
        request.app.state.gateway, principal, learner_id, correlation_id.get() or ""
    )
    return OverviewOut(
        learner_id=found.learner_id,
        profile=found.profile,
        pathway=found.pathway,
        mastery=MasterySummaryOut.model_validate(asdict(found.mastery)) if found.mastery else None,
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
    class_id: uuid.UUID, request: Request, principal: CallerPrincipal
) -> DashboardOut:
    """For the class's teachers and its school's admins. If pathways or assessment is down the
    answer is still 200, without flags, groups or mastery, named in ``degraded``."""
    found = await service.class_dashboard(
        request.app.state.gateway, principal, class_id, correlation_id.get() or ""
    )
    return DashboardOut(
        class_id=found.class_id,
        school_id=uuid.UUID(found.school_id) if found.school_id else None,
        learners=[DashboardLearnerOut.model_validate(asdict(row)) for row in found.learners],
        skills=[SkillStatOut.model_validate(asdict(row)) for row in found.skills],
        groups=_grouping(found.groups, found.parts.degraded),
        degraded=found.parts.degraded,
        withheld=found.parts.withheld,
    )


# The services behind an aggregate can be down: declared so generated clients expect it.
for route in router.routes:
    getattr(route, "responses", {}).update(problem_responses(503))
