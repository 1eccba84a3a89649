"""The signed inbound roster hook: a district's SIS pushes OneRoster-shaped changes.

``POST /v1/webhooks/inbound/roster/{district_id}`` carries no bearer token: the Standard Webhooks
signature made with the district's inbound secret is the authentication. A bad signature or a
timestamp more than five minutes off is a 401; a ``webhook-id`` already applied is acknowledged
and not applied again; the changes go to profiles (``POST /internal/roster/changes``) as the
system principal of that district. If profiles fails, the receipt rolls back with the request,
so the sender's retry is applied. A batch refused by profiles' mass-change guard is its 409
(``mass-change-refused``), passed on; ``"force": true`` in the signed batch applies it.
"""

import uuid

from fastapi import APIRouter, Request

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.events.api.deps import EventHubDep
from pathwise_gateway.webhooks.api.deps import ProfilesCaller
from pathwise_gateway.webhooks.schemas import InboundAnswer, InboundSecretOut
from pathwise_gateway.webhooks.service import inbound as service
from pathwise_shared.app import DbSession
from pathwise_shared.problems import PayloadTooLarge, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/webhooks/inbound", tags=["webhooks"])


@router.post(
    "/roster/secret",
    response_model=InboundSecretOut,
    summary="Create or rotate the district's inbound roster signing secret",
    **gateway_access(roles=["district_admin"], scopes=["roster:write"], action="write"),
)
async def rotate_inbound_secret(session: DbSession, principal: CallerPrincipal) -> InboundSecretOut:
    secret, expires = await service.rotate_inbound_secret(session, principal.require_district())
    return InboundSecretOut(secret=secret, previous_secret_expires_at=expires)


@router.post(
    "/roster/{district_id}",
    response_model=InboundAnswer,
    summary="Signed roster changes from the district's SIS (Standard Webhooks)",
    # 409: profiles' mass-change guard refused the batch (docs/profiles.md, "Inbound roster
    # changes"); the receipt is not kept, so a retry is weighed again.
    responses=problem_responses(400, 401, 409, 413, 422, 503),
)
async def receive_roster_changes(
    district_id: uuid.UUID,
    request: Request,
    session: DbSession,
    hub: EventHubDep,
    profiles: ProfilesCaller,
) -> InboundAnswer:
    # The body is read here (bounded) since its exact bytes are what the signature covers.
    limit = hub.settings.inbound_max_bytes
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    applied = await service.apply_roster_changes(
        session, profiles, district_id, body, dict(request.headers)
    )
    return InboundAnswer(
        status=applied.status, webhook_id=applied.webhook_id, result=applied.result
    )
