"""The pathway as shown: steps in order with the pace forecast, the version history, and the
profile parts a caller may not see of the learner."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.pace import (
    DEFAULT_STEP_MINUTES,
    GoalForecast,
    StepLoad,
    forecast,
    goal_progress,
)
from pathwise_pathways.models import Activity, Pathway, PathwayStep, PathwayVersion
from pathwise_pathways.repository import activities as activities_repo
from pathwise_pathways.repository import pathways as repo
from pathwise_pathways.service.pathways.replan import goals_of
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.problems import NotFound
from pathwise_shared.timeutil import utcnow

__all__ = [
    "PathwayView",
    "get_pathway",
    "hidden_parts",
    "list_versions",
    "pace_of",
    "require_pathway",
    "view",
]


class PathwayView:
    """A pathway with its steps (ordered) and its pace forecast, ready to serialize."""

    def __init__(
        self, pathway: Pathway, steps: list[PathwayStep], pace: list[GoalForecast]
    ) -> None:
        self.pathway = pathway
        self.steps = steps
        self.pace = pace
        self.goal_progress = goal_progress(
            [(s.skill_code, s.status, s.goal_codes or []) for s in steps],
            [(g.code, g.target_date) for g in goals_of(pathway)],
        )


def pace_of(
    pathway: Pathway,
    steps: Sequence[PathwayStep],
    activities: dict[uuid.UUID, Activity] | None = None,
    today: date | None = None,
) -> list[GoalForecast]:
    loads = []
    for step in steps:
        minutes = DEFAULT_STEP_MINUTES
        chosen = (
            (activities or {}).get(step.chosen_activity_id) if step.chosen_activity_id else None
        )
        if chosen is not None:
            minutes = chosen.minutes
        elif step.board:
            minutes = int(step.board[0].get("minutes", DEFAULT_STEP_MINUTES))
        loads.append(
            StepLoad(
                step.skill_code,
                minutes,
                tuple(step.goal_codes or ()),
                step.status in {"mastered", "skipped", "placed"},
            )
        )
    goals = [(g.code, g.target_date) for g in goals_of(pathway)]
    profile = pathway.learner_profile or {}
    return forecast(
        loads,
        goals,
        pace=str(profile.get("pace", "steady")),
        today=today or utcnow().date(),
        time_factor=float(profile.get("time_factor", 1.0)),
    )


async def view(session: AsyncSession, pathway: Pathway) -> PathwayView:
    steps = await repo.steps_of(session, pathway.id)
    chosen = await activities_repo.get_activities(
        session, pathway.district_id, [s.chosen_activity_id for s in steps if s.chosen_activity_id]
    )
    return PathwayView(pathway, steps, pace_of(pathway, steps, chosen))


async def require_pathway(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, *, lock: bool = False
) -> Pathway:
    """``lock`` for a change: PostgreSQL then serializes concurrent changes of one pathway."""
    pathway = await repo.get_pathway(session, district_id, learner_id, lock=lock)
    if pathway is None:
        raise NotFound("This learner has no pathway yet.", slug="pathway-not-found")
    return pathway


async def get_pathway(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> PathwayView:
    """The pathway, then its steps with their chosen activities: two statements."""
    found = (await repo.pathway_reads(session, district_id, [learner_id])).get(learner_id)
    if found is None:
        raise NotFound("This learner has no pathway yet.", slug="pathway-not-found")
    return PathwayView(
        found.pathway, found.steps, pace_of(found.pathway, found.steps, found.chosen)
    )


async def list_versions(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    limit: int,
    before: int | None,
) -> Sequence[PathwayVersion]:
    """Every change, newest first (a page of them, before version ``before``)."""
    pathway = await require_pathway(session, district_id, learner_id)
    return await repo.list_versions(session, pathway.id, limit, before)


async def hidden_parts(
    upstream: Upstream, principal: Principal, learner_id: uuid.UUID
) -> frozenset[str]:
    """The profile parts this principal may not see of the learner (profiles decides, with the
    same rules and relation as the profile itself); our own system jobs see everything."""
    if principal.is_system:
        return frozenset()
    return await upstream.hidden_parts(principal, learner_id)
