"""/v1/attempts: answer, next adaptive item, finish, rubric scoring, read."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from pathwise_assessment.api.views import attempt_item_out, attempt_out
from pathwise_assessment.schemas.attempts import (
    Ability,
    AnswerIn,
    AttemptOut,
    NextItemOut,
    RubricScoreIn,
)
from pathwise_assessment.service import adaptive
from pathwise_assessment.service import attempts as service
from pathwise_assessment.service.access import can_see_keys
from pathwise_shared.access import STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import (
    CursorParam,
    LimitParam,
    Page,
    decode_id_cursor,
    encode_cursor,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/attempts", tags=["attempts"])
TAKERS = STAFF | {"student"}
READ_SCOPES = ["assessment:read", "assessment:write"]
# Every call about one attempt is a call about its learner: the gateway resolves the attempt to
# its learner and runs the learner relation check (teacher of a current class, self, …).
READ = access(roles=TAKERS, scopes=READ_SCOPES, attempt="attempt_id")
WRITE = access(roles=TAKERS, scopes=["assessment:write"], action="write", attempt="attempt_id")


@router.get(
    "",
    response_model=Page[AttemptOut],
    **access(roles=TAKERS, scopes=READ_SCOPES, learner="learner_id", source="query"),
)
async def list_attempts(
    session: DbSession,
    principal: CurrentPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    learner_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[AttemptOut]:
    views, more = await service.list_attempts(
        session, principal, learner_id, decode_id_cursor(cursor), limit
    )
    return Page[AttemptOut](
        items=[attempt_out(v, principal) for v in views],
        next_cursor=encode_cursor(views[-1].attempt.id) if more and views else None,
    )


@router.get("/{attempt_id}", response_model=AttemptOut, **READ)
async def get_attempt(
    attempt_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AttemptOut:
    return attempt_out(await service.load_attempt(session, principal, attempt_id), principal)


@router.put("/{attempt_id}/responses/{item_id}", response_model=AttemptOut, **WRITE)
async def answer_item(
    attempt_id: uuid.UUID,
    item_id: uuid.UUID,
    body: AnswerIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AttemptOut:
    view, _, _ = await service.answer_item(session, principal, attempt_id, item_id, body.answer)
    return attempt_out(view, principal)


@router.post("/{attempt_id}/next", response_model=NextItemOut, **WRITE)
async def next_item(
    attempt_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> NextItemOut:
    view, version, ability, done = await adaptive.next_item(session, principal, attempt_id)
    reveal = can_see_keys(principal, False)
    position = next((p for p, v in view.items if version is not None and v.id == version.id), 0)
    return NextItemOut(
        attempt_id=view.attempt.id,
        learner_id=view.attempt.learner_id,
        done=done,
        item=attempt_item_out(position, version, reveal) if version is not None else None,
        ability=Ability(theta=ability.theta, se=ability.se),
        answered=len(view.responses),
    )


@router.post("/{attempt_id}/finish", response_model=AttemptOut, **WRITE)
async def finish_attempt(
    attempt_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AttemptOut:
    view = await service.finish_attempt(session, principal, attempt_id)
    return attempt_out(view, principal)


@router.post(
    "/{attempt_id}/responses/{response_id}/rubric-score",
    response_model=AttemptOut,
    **access(roles=STAFF, scopes=["assessment:write"], action="write", attempt="attempt_id"),
)
async def score_rubric(
    attempt_id: uuid.UUID,
    response_id: uuid.UUID,
    body: RubricScoreIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AttemptOut:
    view, _ = await service.score_rubric(session, principal, attempt_id, response_id, body.criteria)
    return attempt_out(view, principal)
