"""Use cases of webhook endpoints: manage, rotate, replay, recover, test-send."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.events import repository as events_repository
from pathwise_gateway.events.domain.catalog import CATALOG
from pathwise_gateway.events.service.intake import (
    GATEWAY_SOURCE,
    delivery_row,
    event_row,
    number_own_events,
)
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_gateway.webhooks import repository
from pathwise_gateway.webhooks.domain.signing import new_secret
from pathwise_gateway.webhooks.service.ssrf import UnsafeUrlError, resolve_target
from pathwise_shared.auth import Principal
from pathwise_shared.events import new_event
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Owner",
    "create_endpoint",
    "delete_endpoint",
    "get_delivery",
    "get_endpoint",
    "owner_of",
    "recover",
    "replay",
    "rotate_secret",
    "send_test",
    "subscribable_types",
    "update_endpoint",
]


@dataclass(frozen=True)
class Owner:
    district_id: uuid.UUID
    client_id: str


def owner_of(principal: Principal) -> Owner:
    """Webhook endpoints belong to an integration client of a district."""
    if principal.kind != "client":
        raise Forbidden(
            "Webhook endpoints are managed by integration clients.", slug="not-a-client"
        )
    return Owner(principal.require_district(), principal.subject)


def subscribable_types() -> list[str]:
    return sorted(name for name in CATALOG if name != "webhook.test")


def check_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(subscribable_types()))
    if unknown:
        raise UnprocessableContent(
            f"Unknown event type(s): {', '.join(unknown)}. See GET /v1/events/types.",
            slug="unknown-event-type",
        )
    return sorted(set(event_types))


async def check_url(url: str, settings: EventHubSettings) -> str:
    try:
        await resolve_target(
            url, allow_http=settings.allow_http, allow_loopback=settings.allow_loopback
        )
    except UnsafeUrlError as exc:
        raise UnprocessableContent(str(exc), slug="unsafe-webhook-url") from exc
    return url


async def create_endpoint(
    session: AsyncSession,
    owner: Owner,
    settings: EventHubSettings,
    *,
    url: str,
    event_types: list[str],
    description: str,
    enabled: bool,
) -> Row[Any]:
    row: dict[str, Any] = {
        "id": new_id(),
        "district_id": owner.district_id,
        "client_id": owner.client_id,
        "url": await check_url(url, settings),
        "event_types": check_event_types(event_types),
        "description": description,
        "enabled": enabled,
        "secret": new_secret(),
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    await repository.insert_endpoint(session, row)
    return await get_endpoint(session, owner, row["id"])


async def list_endpoints(
    session: AsyncSession, owner: Owner, after: uuid.UUID | None, limit: int
) -> Sequence[Row[Any]]:
    return await repository.list_endpoints(
        session, owner.district_id, owner.client_id, after, limit
    )


async def list_deliveries(
    session: AsyncSession,
    owner: Owner,
    endpoint_id: uuid.UUID,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """The endpoint's deliveries (404 unless the caller owns the endpoint)."""
    await get_endpoint(session, owner, endpoint_id)
    return await repository.list_deliveries(session, endpoint_id, status, after, limit)


async def get_endpoint(session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID) -> Row[Any]:
    row = await repository.get_endpoint(session, owner.district_id, owner.client_id, endpoint_id)
    if row is None:
        raise NotFound("No such webhook endpoint.", slug="webhook-endpoint-not-found")
    return row


async def update_endpoint(
    session: AsyncSession,
    owner: Owner,
    settings: EventHubSettings,
    endpoint_id: uuid.UUID,
    changes: dict[str, Any],
) -> Row[Any]:
    await get_endpoint(session, owner, endpoint_id)
    values: dict[str, Any] = {}
    if "url" in changes:
        values["url"] = await check_url(changes["url"], settings)
    if "event_types" in changes:
        values["event_types"] = check_event_types(changes["event_types"])
    if "description" in changes:
        values["description"] = changes["description"]
    if "enabled" in changes:
        values["enabled"] = bool(changes["enabled"])
        if values["enabled"]:
            # Re-enabled by its owner: the failure clock starts over.
            values.update(disabled_reason=None, failing_since=None)
        else:
            values["disabled_reason"] = "disabled by the client"
    values["updated_at"] = utcnow()
    await repository.update_endpoint(session, endpoint_id, values)
    return await get_endpoint(session, owner, endpoint_id)


async def delete_endpoint(session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID) -> None:
    await get_endpoint(session, owner, endpoint_id)
    await repository.delete_endpoint(session, endpoint_id)


async def rotate_secret(
    session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID, overlap_seconds: int
) -> tuple[Row[Any], datetime | None]:
    """A new secret; the old one keeps signing too until the overlap ends."""
    endpoint = await get_endpoint(session, owner, endpoint_id)
    now = utcnow()
    expires = now + timedelta(seconds=overlap_seconds) if overlap_seconds else None
    await repository.update_endpoint(
        session,
        endpoint_id,
        {
            "secret": new_secret(),
            "previous_secret": endpoint.secret if expires else None,
            "previous_secret_expires_at": expires,
            "updated_at": now,
        },
    )
    return await get_endpoint(session, owner, endpoint_id), expires


async def get_delivery(
    session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[Row[Any], list[Row[Any]]]:
    await get_endpoint(session, owner, endpoint_id)
    delivery = await repository.get_delivery(session, endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.", slug="webhook-delivery-not-found")
    return delivery, list(await repository.list_attempts(session, delivery_id))


async def replay(
    session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> Row[Any]:
    """Send a delivery again (same ``webhook-id``), whatever its state, with a fresh schedule."""
    await get_delivery(session, owner, endpoint_id, delivery_id)
    await repository.requeue_deliveries(session, [delivery_id], utcnow())
    delivery, _ = await get_delivery(session, owner, endpoint_id, delivery_id)
    return delivery


async def recover(
    session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID, since: datetime
) -> int:
    """Every failed delivery of the endpoint created since ``since``, sent again."""
    await get_endpoint(session, owner, endpoint_id)
    return await repository.requeue_failed_since(session, endpoint_id, since, utcnow())


async def send_test(session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID) -> Row[Any]:
    """A ``webhook.test`` event delivered to this endpoint only (even when it filters types)."""
    endpoint = await get_endpoint(session, owner, endpoint_id)
    if not endpoint.enabled:
        raise UnprocessableContent(
            "The endpoint is disabled: enable it first.", slug="webhook-endpoint-disabled"
        )
    now = utcnow()
    [event] = await number_own_events(
        session,
        [
            new_event(
                "webhook.test",
                district_id=owner.district_id,
                subject=f"webhook_endpoint/{endpoint_id}",
                data={"endpoint_id": str(endpoint_id), "message": "A test message from Pathwise."},
            )
        ],
    )
    await events_repository.insert_new_events(session, [event_row(event, GATEWAY_SOURCE, now)])
    row = delivery_row(event, now, endpoint_id=endpoint_id)
    await events_repository.insert_deliveries(session, [row])
    delivery, _ = await get_delivery(session, owner, endpoint_id, row["id"])
    return delivery
