"""``/v1/learners/{learner_id}/flags``: a learner's early-warning flags; a teacher dismisses one."""

import uuid
from typing import Any, Literal

from fastapi import APIRouter

from pathwise_pathways.api.deps import DistrictId, HiddenParts
from pathwise_pathways.domain.disclosure import visible_flags
from pathwise_pathways.schemas.flags import DismissRequest, FlagCode, FlagOut, FlagsOut
from pathwise_pathways.service import flags as service
from pathwise_pathways.service.classes import flag_out
from pathwise_shared.access import STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.problems import NotFound

__all__ = ["router"]

router = APIRouter(prefix="/v1/learners/{learner_id}/flags", tags=["insights"])


def _staff(action: Literal["read", "write"]) -> dict[str, Any]:
    scopes = {"pathways:write"} if action == "write" else {"pathways:read", "pathways:write"}
    return access(roles=STAFF, scopes=scopes, action=action, learner="learner_id")


def _shown(flags: list[dict[str, Any]], hidden: frozenset[str]) -> list[FlagOut]:
    return [FlagOut.model_validate(f) for f in visible_flags(flags, hidden)]


@router.get("", response_model=FlagsOut, **_staff("read"))
async def list_flags(
    learner_id: uuid.UUID, session: DbSession, district_id: DistrictId, hidden: HiddenParts
) -> FlagsOut:
    """The learner's flags as last computed (the class insights read computes them)."""
    rows = await service.learner_flags(session, district_id, learner_id)
    return FlagsOut(learner_id=str(learner_id), flags=_shown([flag_out(r) for r in rows], hidden))


@router.post("/{code}/dismiss", response_model=FlagOut, **_staff("write"))
async def dismiss_flag(
    learner_id: uuid.UUID,
    code: FlagCode,
    body: DismissRequest,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    hidden: HiddenParts,
) -> FlagOut:
    """Dismiss a flag with a note: it stays dismissed until it clears or its evidence changes
    (then it is a new flag). 404 ``flag-not-found`` when the learner has no such flag."""
    row = await service.dismiss(session, principal, district_id, learner_id, code, body.note)
    shown = _shown([flag_out(row)], hidden)
    if not shown:
        # A flag telling a part hidden from this caller is not theirs to see (nor to dismiss).
        raise NotFound("This learner has no such flag.", slug="flag-not-found")
    return shown[0]
