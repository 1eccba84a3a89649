"""``/v1/webhooks``: an integration client manages its webhook endpoints and their deliveries."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Response
from sqlalchemy import Row

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.events.api.deps import EventHubDep, OptionalEventHub
from pathwise_gateway.events.service.hub import EventHub
from pathwise_gateway.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    DeliveryStatus,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointUpdate,
    RecoverBody,
    RecoverOut,
    RotateBody,
    SecretOut,
)
from pathwise_gateway.webhooks.service import endpoints as service
from pathwise_shared.app import DbSession
from pathwise_shared.pagination import (
    CursorParam,
    LimitParam,
    Page,
    decode_id_cursor,
    page_of,
)
from pathwise_shared.problems import UnprocessableContent
from pathwise_shared.timeutil import as_utc

__all__ = ["router"]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

MANAGE = ["webhooks:manage"]


def _wake(hub: EventHub | None) -> None:
    if hub is not None:
        hub.wake()


@router.post(
    "",
    status_code=201,
    response_model=EndpointCreated,
    summary="Register a webhook endpoint (its signing secret is in the answer)",
    **gateway_access(scopes=MANAGE, action="write"),
)
async def create_webhook_endpoint(
    body: EndpointCreate, session: DbSession, principal: CallerPrincipal, hub: EventHubDep
) -> EndpointCreated:
    row = await service.create_endpoint(
        session,
        service.owner_of(principal),
        hub.settings,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        enabled=body.enabled,
    )
    return EndpointCreated(**EndpointOut.of(row).model_dump(), secret=row.secret)


@router.get(
    "",
    response_model=Page[EndpointOut],
    summary="This client's webhook endpoints",
    **gateway_access(scopes=MANAGE),
)
async def list_webhook_endpoints(
    session: DbSession,
    principal: CallerPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[EndpointOut]:
    rows = await service.list_endpoints(
        session, service.owner_of(principal), decode_id_cursor(cursor), limit
    )
    return page_of(rows, limit, lambda r: [r.id], EndpointOut.of)


@router.get(
    "/{endpoint_id}",
    response_model=EndpointOut,
    summary="One webhook endpoint",
    **gateway_access(scopes=MANAGE),
)
async def get_webhook_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, principal: CallerPrincipal
) -> EndpointOut:
    return EndpointOut.of(
        await service.get_endpoint(session, service.owner_of(principal), endpoint_id)
    )


@router.patch(
    "/{endpoint_id}",
    response_model=EndpointOut,
    summary="Change an endpoint's URL, event types, description or enabled flag",
    **gateway_access(scopes=MANAGE, action="write"),
)
async def update_webhook_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    session: DbSession,
    principal: CallerPrincipal,
    hub: EventHubDep,
) -> EndpointOut:
    changes = body.model_dump(exclude_unset=True)
    if any(changes.get(k, "") is None for k in ("url", "event_types", "enabled", "description")):
        raise UnprocessableContent("Fields may be omitted but not set to null.", slug="null-field")
    row = await service.update_endpoint(
        session, service.owner_of(principal), hub.settings, endpoint_id, changes
    )
    return EndpointOut.of(row)


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    response_class=Response,
    summary="Remove an endpoint with its deliveries",
    **gateway_access(scopes=MANAGE, action="write"),
)
async def delete_webhook_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, principal: CallerPrincipal
) -> Response:
    await service.delete_endpoint(session, service.owner_of(principal), endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/secret/rotate",
    response_model=SecretOut,
    summary="Rotate the signing secret (both sign during the overlap)",
    **gateway_access(scopes=MANAGE, action="write"),
)
async def rotate_webhook_secret(
    endpoint_id: uuid.UUID, body: RotateBody, session: DbSession, principal: CallerPrincipal
) -> SecretOut:
    row, expires = await service.rotate_secret(
        session, service.owner_of(principal), endpoint_id, body.overlap_seconds
    )
    return SecretOut(secret=row.secret, previous_secret_expires_at=expires)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=Page[DeliveryOut],
    summary="Deliveries to this endpoint (filter by status, e.g. failed)",
    **gateway_access(scopes=MANAGE),
)
async def list_webhook_deliveries(
    endpoint_id: uuid.UUID,
    session: DbSession,
    principal: CallerPrincipal,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[DeliveryOut]:
    rows = await service.list_deliveries(
        session, service.owner_of(principal), endpoint_id, status, decode_id_cursor(cursor), limit
    )
    return page_of(rows, limit, lambda r: [r.id], DeliveryOut.of)


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    summary="One delivery with its attempt log (status, latency, response excerpt)",
    **gateway_access(scopes=MANAGE),
)
async def get_webhook_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, session: DbSession, principal: CallerPrincipal
) -> DeliveryDetail:
    delivery, attempts = await service.get_delivery(
        session, service.owner_of(principal), endpoint_id, delivery_id
    )
    return _detail(delivery, attempts)


def _detail(delivery: Row[Any], attempts: list[Row[Any]]) -> DeliveryDetail:
    return DeliveryDetail(
        **DeliveryOut.of(delivery).model_dump(), attempts=[AttemptOut.of(a) for a in attempts]
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a delivery again (same webhook-id)",
    **gateway_access(scopes=MANAGE, action="write"),
)
async def replay_webhook_delivery(
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    session: DbSession,
    principal: CallerPrincipal,
    hub: OptionalEventHub,
    background: BackgroundTasks,
) -> DeliveryOut:
    row = await service.replay(session, service.owner_of(principal), endpoint_id, delivery_id)
    background.add_task(_wake, hub)
    return DeliveryOut.of(row)


@router.post(
    "/{endpoint_id}/recover",
    status_code=202,
    response_model=RecoverOut,
    summary="Send again every failed delivery since a time",
    **gateway_access(scopes=MANAGE, action="write"),
)
async def recover_webhook_deliveries(
    endpoint_id: uuid.UUID,
    body: RecoverBody,
    session: DbSession,
    principal: CallerPrincipal,
    hub: OptionalEventHub,
    background: BackgroundTasks,
) -> RecoverOut:
    if body.since.tzinfo is None:
        raise UnprocessableContent(
            "`since` needs a time zone (e.g. 2026-01-01T00:00:00Z).", slug="naive-time"
        )
    count = await service.recover(
        session, service.owner_of(principal), endpoint_id, as_utc(body.since)
    )
    background.add_task(_wake, hub)
    return RecoverOut(requeued=count)


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a signed webhook.test message to this endpoint",
    **gateway_access(scopes=MANAGE, action="write"),
)
async def send_webhook_test(
    endpoint_id: uuid.UUID,
    session: DbSession,
    principal: CallerPrincipal,
    hub: OptionalEventHub,
    background: BackgroundTasks,
) -> DeliveryOut:
    row = await service.send_test(session, service.owner_of(principal), endpoint_id)
    background.add_task(_wake, hub)
    return DeliveryOut.of(row)
