"""A step's evidence in the learner's chosen format, under ``/v1/learners/{learner_id}/pathway``:
the teacher's rule (formats, rubric), the learner's submissions, the teacher's rubric score
(docs/pathways.md, "Evidence in the learner's format")."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from pathwise_pathways.api.deps import DatabaseDep, UpstreamDep
from pathwise_pathways.domain.evidence import Rubric, kinds_allowed, rule_etag
from pathwise_pathways.models import EvidenceSubmission, PathwayStep, StepEvidenceRule
from pathwise_pathways.schemas.evidence import (
    EvidenceRuleIn,
    EvidenceRuleOut,
    ScoreIn,
    SubmissionIn,
    SubmissionOut,
)
from pathwise_pathways.service import evidence as service
from pathwise_pathways.settings import PathwaysSettings
from pathwise_shared.access import ALL_USERS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/learners/{learner_id}/pathway", tags=["pathways"])


def _rule(
    roles: frozenset[str], action: Literal["read", "write"], scopes: set[str], *errors: int
) -> dict[str, Any]:
    rule = access(roles=roles, scopes=scopes, action=action, learner="learner_id")
    rule["responses"] = {**rule.get("responses", {}), **problem_responses(*errors)}
    return rule


_READ_SCOPES = {"pathways:read", "pathways:write"}


async def _settings(request: Request) -> PathwaysSettings:
    settings: PathwaysSettings = request.app.state.settings
    return settings


Settings = Annotated[PathwaysSettings, Depends(_settings)]
IfMatch = Annotated[
    str | None, Header(max_length=200, description="the ETag of the rule you change")
]


def _rule_out(
    learner_id: uuid.UUID, step: PathwayStep, rule: StepEvidenceRule | None
) -> EvidenceRuleOut:
    formats = list(rule.formats) if rule is not None else []
    return EvidenceRuleOut(
        step_id=step.id,
        learner_id=learner_id,
        skill_code=step.skill_code,
        formats=formats,
        artifact_kinds=kinds_allowed(formats),
        rubric=Rubric.model_validate(rule.rubric) if rule and rule.rubric else None,
        version=rule.version if rule is not None else 0,
        etag=rule_etag(rule.version if rule is not None else 0),
        updated_by=rule.updated_by if rule is not None else None,
        updated_at=rule.updated_at if rule is not None else None,
    )


def _out(row: EvidenceSubmission) -> SubmissionOut:
    return SubmissionOut(
        id=row.id,
        learner_id=row.learner_id,
        step_id=row.step_id,
        skill_code=row.skill_code,
        artifact_id=row.artifact_id,
        artifact_kind=row.artifact_kind,
        format=row.format,
        rubric=Rubric.model_validate(row.rubric),
        status=row.status,
        levels=row.levels,
        points=row.points,
        max_points=row.max_points,
        fraction=row.fraction,
        correct=row.correct,
        comment=row.comment,
        scored_by=row.scored_by,
        scored_at=row.scored_at,
        created_at=row.created_at,
    )


@router.get(
    "/steps/{step_id}/evidence-rule",
    response_model=EvidenceRuleOut,
    **_rule(ALL_USERS, "read", _READ_SCOPES, 404),
)
async def get_evidence_rule(
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    response: Response,
) -> EvidenceRuleOut:
    """The formats the step may be shown with besides its skill checks, and the rubric."""
    step, rule = await service.get_rule(session, principal, learner_id, step_id)
    out = _rule_out(learner_id, step, rule)
    response.headers["ETag"] = out.etag
    return out


@router.put(
    "/steps/{step_id}/evidence-rule",
    response_model=EvidenceRuleOut,
    **_rule(STAFF, "write", {"pathways:write"}, 404, 412, 422, 428),
)
async def put_evidence_rule(
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    body: EvidenceRuleIn,
    session: DbSession,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> EvidenceRuleOut:
    """A teacher of the learner (or an admin) allows formats on a step and gives the rubric;
    empty ``formats`` takes them back. Changing a rule that exists needs ``If-Match``."""
    step, rule = await service.put_rule(
        session, principal, learner_id, step_id, body.formats, body.rubric, if_match
    )
    out = _rule_out(learner_id, step, rule)
    response.headers["ETag"] = out.etag
    return out


@router.post(
    "/steps/{step_id}/evidence",
    response_model=SubmissionOut,
    status_code=status.HTTP_201_CREATED,
    **_rule(frozenset({"student"}), "write", set(), 404, 409, 422),
)
async def submit_evidence(
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    body: SubmissionIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> SubmissionOut:
    """The learner submits one of their own portfolio artifacts as evidence for a step of their
    pathway: its kind must carry a format allowed on the step (422), one submission per step
    waits for its score at a time (409)."""
    row = await service.submit(
        session, principal, learner_id, step_id, body.artifact_id, body.format
    )
    return _out(row)


@router.get(
    "/evidence", response_model=Page[SubmissionOut], **_rule(ALL_USERS, "read", _READ_SCOPES)
)
async def list_evidence(
    learner_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    step_id: Annotated[uuid.UUID | None, Query()] = None,
    status_filter: Annotated[Literal["pending", "scored"] | None, Query(alias="status")] = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[SubmissionOut]:
    """The learner's submissions, oldest first (``status=pending``: what awaits a score). A
    guardian sees those whose artifact the learner shares with them."""
    rows = await service.list_submissions(
        session,
        principal,
        learner_id,
        step_id=step_id,
        status=status_filter,
        policy=settings.portfolio_guardian_sharing,
        after=decode_id_cursor(cursor),
        limit=limit,
    )
    return page_of(rows, limit, lambda r: (r.id,), _out)


@router.get(
    "/steps/{step_id}/evidence/{submission_id}",
    response_model=SubmissionOut,
    **_rule(ALL_USERS, "read", _READ_SCOPES, 404),
)
async def get_evidence(
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    submission_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
) -> SubmissionOut:
    row = await service.get_submission(
        session,
        principal,
        learner_id,
        step_id,
        submission_id,
        policy=settings.portfolio_guardian_sharing,
    )
    return _out(row)


@router.post(
    "/steps/{step_id}/evidence/{submission_id}/score",
    response_model=SubmissionOut,
    **_rule(STAFF, "write", set(), 404, 409, 422, 503),
)
async def score_evidence(
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    submission_id: uuid.UUID,
    body: ScoreIn,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    upstream: UpstreamDep,
    settings: Settings,
) -> SubmissionOut:
    """A teacher of the learner (or an admin) scores the evidence with its rubric (a level per
    criterion). The fraction of the points is recorded in assessment as mastery evidence before
    the score is stored here (503 when assessment cannot be reached: nothing is stored). The same
    levels again are a retry: the same answer, counted once; other levels are a 409."""
    row, _ = await service.score(
        db,
        upstream,
        principal,
        learner_id,
        step_id,
        submission_id,
        body.levels,
        body.comment,
        policy=settings.portfolio_guardian_sharing,
    )
    return _out(row)
