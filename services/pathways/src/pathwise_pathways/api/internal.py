"""``/internal/...``: operations for the other services (never exposed by the gateway)."""

from fastapi import APIRouter

from pathwise_pathways.api.deps import Cache, UpstreamDep
from pathwise_pathways.schemas.skills import ResolveRequest, ResolveResponse
from pathwise_pathways.service import frameworks as frameworks_service
from pathwise_pathways.service.pathways import progress
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.events import EventEnvelope
from pathwise_shared.problems import UnprocessableContent, problem_responses

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
