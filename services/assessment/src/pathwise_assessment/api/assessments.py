"""/v1/assessments: skill checks, summative, adaptive and diagnostic assessments; starting attempts."""

import uuid

from fastapi import APIRouter
from fastapi import Response as HttpResponse

from pathwise_assessment.api.deps import IdempotencyKey, UpstreamsDep
from pathwise_assessment.api.views import assessment_out, attempt_out
from pathwise_assessment.schemas.assessments import (
    AssessmentCreate,
    AssessmentOut,
    AssessmentUpdate,
)
from pathwise_assessment.schemas.attempts import AttemptCreate, AttemptOut
from pathwise_assessment.service import assessments as service
from pathwise_assessment.service import attempts as attempts_service
from pathwise_shared.access import STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.idempotency import REPLAYED_HEADER
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of

__all__ = ["router"]

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])
TAKERS = STAFF | {"student"}


@router.post(
    "",
    status_code=201,
    response_model=AssessmentOut,
    **access(roles=STAFF, scopes=["assessment:write"], action="write"),
)
async def create_assessment(
    body: AssessmentCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    upstreams: UpstreamsDep,
    response: HttpResponse,
    idempotency_key: IdempotencyKey,
) -> AssessmentOut:
    (assessment, item_ids), created = await service.create_assessment(
        session, upstreams, principal, body, idempotency_key
    )
    if not created:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    return assessment_out(assessment, item_ids)


@router.get(
    "",
    response_model=Page[AssessmentOut],
    **access(roles=TAKERS, scopes=["assessment:read", "assessment:write"]),
)
async def list_assessments(
    session: DbSession,
    principal: CurrentPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[AssessmentOut]:
    rows = await service.list_assessments(session, principal, decode_id_cursor(cursor), limit)
    return page_of(rows, limit, lambda a: (a.id,), lambda a: assessment_out(a, []))


@router.get(
    "/{assessment_id}",
    response_model=AssessmentOut,
    **access(roles=TAKERS, scopes=["assessment:read", "assessment:write"]),
)
async def get_assessment(
    assessment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AssessmentOut:
    return assessment_out(*await service.get_assessment(session, principal, assessment_id))


@router.patch(
    "/{assessment_id}",
    response_model=AssessmentOut,
    **access(roles=STAFF, scopes=["assessment:write"], action="write"),
)
async def update_assessment(
    assessment_id: uuid.UUID,
    body: AssessmentUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    upstreams: UpstreamsDep,
) -> AssessmentOut:
    """Change the title, time limit or stopping rule (its author, school admin, district admin)."""
    return assessment_out(
        *await service.update_assessment(session, upstreams, principal, assessment_id, body)
    )


@router.post(
    "/{assessment_id}/attempts",
    status_code=201,
    response_model=AttemptOut,
    **access(
        roles=TAKERS,
        scopes=["assessment:write"],
        action="write",
        learner="learner_id",
        source="body",
    ),
)
async def start_attempt(
    assessment_id: uuid.UUID,
    body: AttemptCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    upstreams: UpstreamsDep,
    response: HttpResponse,
    idempotency_key: IdempotencyKey,
) -> AttemptOut:
    view, created = await attempts_service.start_attempt(
        session, upstreams, principal, assessment_id, body.learner_id, idempotency_key
    )
    if not created:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    return attempt_out(view, principal)
