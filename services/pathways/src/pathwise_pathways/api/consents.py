"""``/v1/learners/{learner_id}/consents``: a guardian's consent for an off-site activity
(docs/pathways.md, "Learning beyond the classroom")."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, StringConstraints

from pathwise_pathways.api.deps import ConsentPolicy, DistrictId
from pathwise_pathways.service import consents as service
from pathwise_shared.access import ALL_USERS, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.inputs import StrictBody
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/learners/{learner_id}/consents", tags=["activities"])
GUARDIAN = frozenset({"guardian"})


class ConsentIn(StrictBody):
    activity_id: uuid.UUID
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    learner_id: uuid.UUID
    activity_id: uuid.UUID
    given_by: str
    note: str
    given_at: datetime


def _rule(roles: frozenset[str], write: bool, *errors: int) -> dict[str, Any]:
    # Giving or withdrawing a consent is the guardian's own act for their child, not an edit of
    # the child's records (which guardians never make): the "consent" action, which profiles
    # grants to a guardian of this learner and to no one else.
    rule = access(
        roles=roles,
        scopes=set() if write else {"pathways:read", "pathways:write"},
        action="consent" if write else "read",
        learner="learner_id",
    )
    rule["responses"] = {**rule.get("responses", {}), **problem_responses(*errors)}
    return rule


@router.post(
    "", response_model=ConsentOut, status_code=status.HTTP_201_CREATED, **_rule(GUARDIAN, True, 422)
)
async def give_consent(
    learner_id: uuid.UUID,
    body: ConsentIn,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    policy: ConsentPolicy,
    response: Response,
) -> ConsentOut:
    """A guardian of the learner consents to an off-site activity (given again: 200, the first)."""
    consent, created = await service.give(
        session, principal, district_id, learner_id, body.activity_id, body.note, policy
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return ConsentOut.model_validate(consent)


@router.get("", response_model=list[ConsentOut], **_rule(ALL_USERS, False))
async def list_consents(
    learner_id: uuid.UUID, session: DbSession, district_id: DistrictId
) -> list[ConsentOut]:
    """Every consent the learner has (a handful: not paged)."""
    rows = await service.list_for(session, district_id, learner_id)
    return [ConsentOut.model_validate(r) for r in rows]


@router.delete(
    "/{activity_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    **_rule(GUARDIAN, True, 404),
)
async def withdraw_consent(
    learner_id: uuid.UUID,
    activity_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
) -> None:
    await service.withdraw(session, principal, district_id, learner_id, activity_id)
