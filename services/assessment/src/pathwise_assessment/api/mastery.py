"""/v1/learners/{learner_id}/mastery…, /v1/mastery/skills/{code}/params and /v1/mastery/fits…"""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path
from fastapi import Response as HttpResponse

from pathwise_assessment.api.deps import UpstreamsDep
from pathwise_assessment.api.views import fit_out
from pathwise_assessment.domain.rows import StateRow
from pathwise_assessment.models import MasteryHistory
from pathwise_assessment.schemas.common import SkillCode
from pathwise_assessment.schemas.fits import FitCreate, FitOut
from pathwise_assessment.schemas.mastery import (
    HistoryPoint,
    LearnerMastery,
    SkillMastery,
    SkillParamsOut,
    SkillParamsUpdate,
)
from pathwise_assessment.service import fits as fits_service
from pathwise_assessment.service import mastery_read as service
from pathwise_assessment.service import skill_params as params_service
from pathwise_shared.access import ADMINS, ALL_USERS, STAFF, access
from pathwise_shared.app import DatabaseDep, DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of

__all__ = ["router", "skill_mastery"]

router = APIRouter(tags=["mastery"])
LEARNER_READ = access(
    roles=ALL_USERS, scopes=["assessment:read", "assessment:write"], learner="learner_id"
)
FITS_READ = access(roles=ADMINS, scopes=["assessment:read", "assessment:write"])


def skill_mastery(state: StateRow) -> SkillMastery:
    return SkillMastery(
        skill_code=state.skill_code,
        p_known=round(state.p_known, 6),
        mastered=state.mastered,
        level=state.level,
        evidence_count=state.evidence_count,
        updated_at=state.updated_at,
    )


def _point(h: MasteryHistory) -> HistoryPoint:
    return HistoryPoint(
        id=h.id,
        at=h.created_at,
        reason=h.reason,
        response_id=h.response_id,
        correct=h.correct,
        hard=h.hard,
        p_before=round(h.p_before, 6),
        p_known=round(h.p_after, 6),
        mastered=h.mastered,
        level=h.level,
    )


@router.get("/v1/learners/{learner_id}/mastery", response_model=LearnerMastery, **LEARNER_READ)
async def get_learner_mastery(
    learner_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> LearnerMastery:
    states = await service.learner_mastery(session, principal, learner_id)
    return LearnerMastery(learner_id=learner_id, skills=[skill_mastery(s) for s in states])


@router.get(
    "/v1/learners/{learner_id}/mastery/{skill_code}/history",
    response_model=Page[HistoryPoint],
    **LEARNER_READ,
)
async def get_mastery_history(
    learner_id: uuid.UUID,
    skill_code: Annotated[SkillCode, Path()],
    session: DbSession,
    principal: CurrentPrincipal,
    limit: LimitParam = 200,
    cursor: CursorParam = None,
) -> Page[HistoryPoint]:
    rows = await service.mastery_history(
        session, principal, learner_id, skill_code, decode_id_cursor(cursor), limit
    )
    return page_of(rows, limit, lambda h: (h.id,), _point)


@router.post(
    "/v1/mastery/fits",
    status_code=202,
    response_model=FitOut,
    **access(roles=ADMINS, scopes=["assessment:write"], action="write"),
)
async def create_fit(
    body: FitCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    background: BackgroundTasks,
    response: HttpResponse,
) -> FitOut:
    """Start fitting the district's BKT parameters: 202 with the run (``running``); follow its
    ``Location`` until ``succeeded`` or ``failed``."""
    district_id = principal.require_district()
    fit = await fits_service.start_fit(session, district_id, principal.subject, body.min_responses)
    # Background tasks run after the response, so after DbSession committed the run.
    background.add_task(fits_service.run_fit, db, district_id, fit.id)
    response.headers["Location"] = f"/v1/mastery/fits/{fit.id}"
    return fit_out(fit)


@router.get("/v1/mastery/fits", response_model=Page[FitOut], **FITS_READ)
async def list_fits(
    session: DbSession,
    principal: CurrentPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[FitOut]:
    rows = await fits_service.list_fits(session, principal, decode_id_cursor(cursor), limit)
    return page_of(rows, limit, lambda f: (f.id,), fit_out)


@router.get("/v1/mastery/fits/{fit_id}", response_model=FitOut, **FITS_READ)
async def get_fit(fit_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> FitOut:
    return fit_out(await fits_service.get_fit(session, principal, fit_id))


def _params_out(view: params_service.SkillParamsView) -> SkillParamsOut:
    return SkillParamsOut.model_validate(view, from_attributes=True)


@router.get(
    "/v1/mastery/skills/{skill_code}/params",
    response_model=SkillParamsOut,
    **access(roles=STAFF, scopes=["assessment:read", "assessment:write"]),
)
async def get_skill_params(
    skill_code: Annotated[SkillCode, Path()], session: DbSession, principal: CurrentPrincipal
) -> SkillParamsOut:
    return _params_out(await params_service.read_params(session, principal, skill_code))


# The threshold is one value for the whole district (every school's learners): like district-wide
# content, only district admins and clients with the write scope change it, not a teacher or the
# admin of one school.
@router.patch(
    "/v1/mastery/skills/{skill_code}/params",
    response_model=SkillParamsOut,
    **access(roles={"district_admin"}, scopes=["assessment:write"], action="write"),
)
async def set_skill_threshold(
    skill_code: Annotated[SkillCode, Path()],
    body: SkillParamsUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    upstreams: UpstreamsDep,
) -> SkillParamsOut:
    """Set the skill's mastery threshold in the caller's district (district admins)."""
    view = await params_service.set_threshold(
        session, upstreams, principal, skill_code, body.threshold
    )
    return _params_out(view)
