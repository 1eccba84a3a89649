"""``/v1/learners/{learner_id}/pathway``: plan, read, choose, override, approve, history."""

import uuid
from typing import Any

from fastapi import APIRouter, status

from pathwise_pathways.api.deps import (
    Cache,
    ConsentPolicy,
    DatabaseDep,
    DistrictId,
    HiddenParts,
    UpstreamDep,
)
from pathwise_pathways.domain.disclosure import GOALS, visible_board
from pathwise_pathways.models import Pathway, PathwayVersion
from pathwise_pathways.schemas.pathways import (
    BoardEntryOut,
    ChoiceRequest,
    GoalForecastOut,
    GoalProgressOut,
    OverrideRequest,
    PathwayOut,
    PlacementOut,
    PlanRequest,
    StepOut,
    VersionOut,
)
from pathwise_pathways.service import consents
from pathwise_pathways.service.pathways import overrides, planning, progress, read
from pathwise_shared.access import ALL_USERS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_int_cursor, page_of

__all__ = ["router"]

router = APIRouter(prefix="/v1/learners/{learner_id}/pathway", tags=["pathways"])


def _read() -> dict[str, Any]:
    return access(roles=ALL_USERS, scopes={"pathways:read", "pathways:write"}, learner="learner_id")


def _staff_write() -> dict[str, Any]:
    return access(roles=STAFF, scopes={"pathways:write"}, action="write", learner="learner_id")


def _learner_write() -> dict[str, Any]:
    return access(
        roles=STAFF | {"student"}, scopes={"pathways:write"}, action="write", learner="learner_id"
    )


def pathway_out(v: read.PathwayView, hidden: frozenset[str]) -> PathwayOut:
    """The pathway as this caller may see it: board reasons from parts hidden from them are
    dropped, and with goals hidden the goals, the steps' goal codes and due dates and the
    per-goal pace forecast are withheld (the steps themselves are the plan, shown)."""
    p = v.pathway
    goals_hidden = GOALS in hidden
    return PathwayOut(
        id=p.id,
        learner_id=p.learner_id,
        status=p.status,
        version=p.version,
        goals=[] if goals_hidden else p.goals,
        approved_by=p.approved_by,
        updated_at=p.updated_at,
        steps=[
            StepOut(
                id=s.id,
                skill_code=s.skill_code,
                title=s.title,
                position=s.position,
                status=s.status,
                goal_codes=[] if goals_hidden else s.goal_codes or [],
                due_date=None if goals_hidden else s.due_date,
                pinned=s.pinned,
                inserted=s.inserted,
                teacher_rank=s.teacher_rank,
                choice_locked=s.choice_locked,
                chosen_activity_id=s.chosen_activity_id,
                board=[
                    BoardEntryOut.model_validate(e) for e in visible_board(s.board or [], hidden)
                ],
                mastered_at=s.mastered_at,
                placement=_placement_of(p, s.skill_code),
            )
            for s in v.steps
        ],
        pace=[
            GoalForecastOut(
                skill_code=f.skill_code,
                target_date=f.target_date,
                expected_date=f.expected_date,
                remaining_minutes=f.remaining_minutes,
                status=f.status,
                reason=f.reason,
            )
            for f in ([] if goals_hidden else v.pace)
        ],
        goal_progress=[
            GoalProgressOut(
                skill_code=g.skill_code,
                target_date=g.target_date,
                needed=g.needed,
                mastered=g.mastered,
                placed=g.placed,
                progress=g.progress,
            )
            for g in ([] if goals_hidden else v.goal_progress)
        ],
    )


def _placement_of(pathway: Pathway, code: str) -> PlacementOut | None:
    """The diagnostic evidence a step's skill was placed on, if any (also once un-placed)."""
    evidence = (pathway.placements or {}).get(code)
    if evidence is None:
        return None
    revoked = (pathway.unplaced or {}).get(code) == evidence.get("attempt_id")
    return PlacementOut.model_validate({**evidence, "unplaced": revoked})


@router.post("", response_model=PathwayOut, status_code=status.HTTP_201_CREATED, **_staff_write())
async def plan_pathway(
    learner_id: uuid.UUID,
    body: PlanRequest,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    cache: Cache,
    upstream: UpstreamDep,
    hidden: HiddenParts,
) -> PathwayOut:
    """Plan or replan from the learner's live profile and mastery toward the given goals (or the
    learner's active goals)."""
    goals = None if body.goals is None else [(g.skill_code, g.target_date) for g in body.goals]
    view = await planning.plan(
        session,
        cache,
        upstream,
        principal,
        district_id,
        learner_id,
        goals=goals,
        requires_approval=body.requires_approval,
        assume_prior_grades=body.assume_prior_grades,
        reason=body.reason,
    )
    return pathway_out(view, hidden)


@router.get("", response_model=PathwayOut, **_read())
async def get_pathway(
    learner_id: uuid.UUID, session: DbSession, district_id: DistrictId, hidden: HiddenParts
) -> PathwayOut:
    return pathway_out(await read.get_pathway(session, district_id, learner_id), hidden)


@router.post("/approve", response_model=PathwayOut, **_staff_write())
async def approve_pathway(
    learner_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    hidden: HiddenParts,
) -> PathwayOut:
    """draft → active."""
    view = await planning.approve(
        session, principal, district_id, learner_id, "approved by a teacher"
    )
    return pathway_out(view, hidden)


@router.post("/steps/{step_id}/choice", response_model=PathwayOut, **_learner_write())
async def choose_activity(
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    body: ChoiceRequest,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    hidden: HiddenParts,
    policy: ConsentPolicy,
    db: DatabaseDep,
) -> PathwayOut:
    """The learner picks an activity from the step's choice board; an off-site activity that
    needs a guardian's consent only once a guardian gave it (409 otherwise; the first such
    refusal for the learner and activity asks their guardians: ``consent.requested``)."""
    try:
        view = await progress.choose(
            session, principal, district_id, learner_id, step_id, body.activity_id, policy
        )
    except consents.ConsentRequired as refused:
        await consents.ask_guardians(db, refused, refused_in=session)
        raise
    return pathway_out(view, hidden)


@router.post("/overrides", response_model=PathwayOut, **_staff_write())
async def override_pathway(
    learner_id: uuid.UUID,
    body: OverrideRequest,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    cache: Cache,
    hidden: HiddenParts,
) -> PathwayOut:
    """A teacher pins, skips, inserts or reorders steps, or locks a choice; always with a reason."""
    view = await overrides.override(
        session,
        cache,
        principal,
        district_id,
        learner_id,
        action=body.action,
        reason=body.reason,
        step_id=body.step_id,
        skill_code=body.skill_code,
        order=body.order,
        activity_id=body.activity_id,
    )
    return pathway_out(view, hidden)


@router.get("/versions", response_model=Page[VersionOut], **_read())
async def list_pathway_versions(
    learner_id: uuid.UUID,
    session: DbSession,
    district_id: DistrictId,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[VersionOut]:
    """Every change, newest first: who, why, and the steps after it."""
    rows = await read.list_versions(
        session, district_id, learner_id, limit, decode_int_cursor(cursor)
    )
    return page_of(rows, limit, lambda v: (v.version,), _version_out)


def _version_out(v: PathwayVersion) -> VersionOut:
    return VersionOut.model_validate(v)
