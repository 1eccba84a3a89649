"""``/internal/...``: operations for the other services (never exposed by the gateway)."""

import uuid

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.api.deps import Cache, DatabaseDep, DistrictId, HiddenParts, UpstreamDep
from pathwise_pathways.domain.disclosure import visible_flags
from pathwise_pathways.schemas.flags import SupportFlagOut, SupportFlagsOut
from pathwise_pathways.schemas.skills import ResolveRequest, ResolveResponse
from pathwise_pathways.service import flags as flags_service
from pathwise_pathways.service import frameworks as frameworks_service
from pathwise_pathways.service.classes import flag_out
from pathwise_pathways.service.pathways import progress
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.events import EventEnvelope
from pathwise_shared.problems import UnprocessableContent, problem_responses
from pathwise_shared.subscriber import EventBatch, EventBatchOutcomes, receive_batch

__all__ = ["router"]

router = APIRouter(prefix="/internal", tags=["internal"])


@router.post(
    "/skills/resolve",
    response_model=ResolveResponse,
    responses=problem_responses(401, 422),
)
async def resolve_skills(
    body: ResolveRequest, session: DbSession, principal: CurrentPrincipal, cache: Cache
) -> ResolveResponse:
    """Which codes exist in the caller's district frameworks or the shared ones."""
    if principal.district_id is None:
        raise UnprocessableContent(
            "Resolving codes needs a principal with a district.", slug="district-required"
        )
    known, unknown = await frameworks_service.resolve_codes(
        session, cache, principal.district_id, body.codes
    )
    return ResolveResponse(known=known, unknown=unknown)


@router.post("/events", responses=problem_responses(401, 403, 422))
async def receive_event(
    envelope: EventEnvelope,
    session: DbSession,
    principal: CurrentPrincipal,
    cache: Cache,
    upstream: UpstreamDep,
) -> dict[str, str]:
    """Event subscriber (the gateway's fan-out): ``mastery.changed`` advances or reopens steps.

    Idempotent on the event id: a redelivery answers 200 ``duplicate`` and changes nothing.
    """
    return {"status": await progress.receive_event(session, cache, principal, envelope, upstream)}


@router.post(
    "/events/batch", response_model=EventBatchOutcomes, responses=problem_responses(401, 403, 422)
)
async def receive_events(
    batch: EventBatch,
    db: DatabaseDep,
    principal: CurrentPrincipal,
    cache: Cache,
    upstream: UpstreamDep,
) -> EventBatchOutcomes:
    """The hub's batch of deliveries: each event as ``POST /internal/events`` would take it, in a
    unit of work of its own, with its own outcome (pathwise_shared.subscriber)."""

    async def handle(session: AsyncSession, envelope: EventEnvelope) -> str:
        return await progress.receive_event(session, cache, principal, envelope, upstream)

    return await receive_batch(db, principal, batch, handle)


# The skill a flag is about, by the numbers each kind carries (domain/insights.py).
_FLAG_SKILL_KEYS = ("skill_code", "skill_practised")


@router.get(
    "/learners/{learner_id}/support-flags",
    response_model=SupportFlagsOut,
    responses=problem_responses(401, 403, 404),
)
async def support_flags(
    learner_id: uuid.UUID, session: DbSession, district_id: DistrictId, hidden: HiddenParts
) -> SupportFlagsOut:
    """The learner's open flags (not dismissed) for the gateway's guardian summary: kind, skill
    and when, without the numbers or notes. Profiles' disclosure for the calling principal runs
    first (``HiddenParts``): a caller without a relation to the learner is refused there, and a
    flag derived from a part hidden from them is left out, as on the staff flags read."""
    rows = await flags_service.learner_flags(session, district_id, learner_id)
    shown = visible_flags([flag_out(r) for r in rows if r.dismissed_at is None], hidden)
    out: list[SupportFlagOut] = []
    for flag in shown:
        numbers = flag.get("numbers") or {}
        skill = next(
            (numbers[k] for k in _FLAG_SKILL_KEYS if isinstance(numbers.get(k), str)), None
        )
        out.append(SupportFlagOut(code=flag["code"], skill_code=skill, raised_at=flag["raised_at"]))
    return SupportFlagsOut(learner_id=str(learner_id), flags=out)
