"""``/v1/learners/{learner_id}/overview`` and ``/v1/classes/{class_id}/dashboard``: several
services in one call (see ``aggregates/service.py``)."""

import uuid
from dataclasses import asdict
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import APIRouter
from pydantic import ValidationError

from pathwise_gateway.aggregates import service
from pathwise_gateway.aggregates.schemas import (
    CalibrationOut,
    DashboardGroupingOut,
    DashboardLearnerOut,
    DashboardOut,
    MasterySummaryOut,
    OverviewOut,
    SkillStatOut,
)
from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.proxy.api.deps import GatewayDep
from pathwise_shared.access import ALL_USERS, STAFF
from pathwise_shared.problems import problem_responses

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


# The services behind an aggregate can be down: declared so generated clients expect it.
for route in router.routes:
    getattr(route, "responses", {}).update(problem_responses(503))
