"""Student voice surveys: ``/v1/surveys…`` (the sender's) and ``/v1/learners/{learner_id}/surveys…``
(the learner's)."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status

from pathwise_profiles.schemas.surveys import (
    AnswersIn,
    AssignmentOut,
    SendIn,
    SendOut,
    SurveyCreate,
    SurveyOut,
    SurveyResultsOut,
)
from pathwise_profiles.service import surveys as svc
from pathwise_shared.access import STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(tags=["student voice surveys"])

LEARNER = frozenset({"student"})


def _with(rule: dict[str, Any], *statuses: int) -> dict[str, Any]:
    rule["responses"] = {**rule["responses"], **problem_responses(*statuses)}
    return rule


@router.post(
    "/v1/surveys", status_code=status.HTTP_201_CREATED, **access(roles=STAFF, action="write")
)
async def create_survey(
    body: SurveyCreate, principal: CurrentPrincipal, session: DbSession
) -> SurveyOut:
    """A teacher or admin writes a survey (422 ``survey-invalid`` naming each bad field). It is
    not edited afterwards: answers name its questions by position."""
    return await svc.create_survey(session, principal, body)


@router.get("/v1/surveys", **access(roles=STAFF))
async def list_surveys(
    principal: CurrentPrincipal,
    session: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[SurveyOut]:
    """The caller's own surveys, newest first."""
    return await svc.list_surveys(session, principal, cursor=cursor, limit=limit)


@router.get("/v1/surveys/{survey_id}", **access(roles=STAFF))
async def get_survey(
    survey_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> SurveyOut:
    return await svc.get_survey(session, principal, survey_id)


@router.post(
    "/v1/surveys/{survey_id}/send",
    **access(roles=STAFF, action="write", service_checks=["class_id", "learner_ids"]),
)
async def send_survey(
    survey_id: uuid.UUID, body: SendIn, principal: CurrentPrincipal, session: DbSession
) -> SendOut:
    """Send the caller's survey to a class they teach or administer (its active students) or to
    named learners they teach or administer: one assignment each; sending again adds only the
    learners who do not have it. The service checks the class or each learner (one out of
    reach refuses the whole send)."""
    return await svc.send_survey(session, principal, survey_id, body)


@router.get("/v1/surveys/{survey_id}/results", **access(roles=STAFF))
async def survey_results(
    survey_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> SurveyResultsOut:
    """The sender's view: per learner their answers (by learner id, a teacher's own learners
    only) and per question the count of each option. No ranking of learners or options."""
    return await svc.results(session, principal, survey_id)


@router.get("/v1/learners/{learner_id}/surveys", **access(roles=LEARNER, learner="learner_id"))
async def list_learner_surveys(
    learner_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    survey_status: Annotated[Literal["open", "answered"], Query(alias="status")] = "open",
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[AssignmentOut]:
    """The learner's surveys, newest first: open ones (default) or those they answered."""
    return await svc.list_assignments(
        session, principal, learner_id, status=survey_status, cursor=cursor, limit=limit
    )


@router.get(
    "/v1/learners/{learner_id}/surveys/{survey_id}",
    **access(roles=LEARNER, learner="learner_id"),
)
async def get_learner_survey(
    learner_id: uuid.UUID, survey_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> AssignmentOut:
    return await svc.get_assignment(session, principal, learner_id, survey_id)


@router.post(
    "/v1/learners/{learner_id}/surveys/{survey_id}/answers",
    status_code=status.HTTP_201_CREATED,
    **_with(access(roles=LEARNER, action="write", learner="learner_id"), 409),
)
async def answer_survey(
    learner_id: uuid.UUID,
    survey_id: uuid.UUID,
    body: AnswersIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> AssignmentOut:
    """The learner answers once (a second answer is 409 ``survey-already-answered``). An answer
    with ``apply_to_profile: true`` (their consent, per answer) updates the profile field its
    question fills, in the same transaction; without it the profile is untouched."""
    return await svc.answer_survey(session, principal, learner_id, survey_id, body)
