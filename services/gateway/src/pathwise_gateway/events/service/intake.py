"""Ingest: store each event once and plan its deliveries (internal subscribers, webhooks)."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.events import repository
from pathwise_gateway.events.domain.catalog import CATALOG, subscribers_of
from pathwise_gateway.models import event_sequences
from pathwise_shared.db.outbox import sequence_events
from pathwise_shared.events import EventEnvelope
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = [
    "GATEWAY_SOURCE",
    "EndpointFilter",
    "IngestResult",
    "ingest_events",
    "ingest_own_events",
    "number_own_events",
    "plan_deliveries",
    "wants",
]

GATEWAY_SOURCE = "gateway"

# Types only ever sent to the endpoint they are about (never fanned out by filter).
_TARGETED_TYPES = frozenset({"webhook.test"})


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


@dataclass(frozen=True)
class EndpointFilter:
    id: uuid.UUID
    district_id: uuid.UUID
    event_types: tuple[str, ...]


def wants(endpoint: EndpointFilter, event: EventEnvelope) -> bool:
    """An enabled endpoint of the event's district whose filter (empty = all) names the type."""
    if event.district_id != endpoint.district_id or event.type not in CATALOG:
        return False
    if event.type in _TARGETED_TYPES:
        return False
    return not endpoint.event_types or event.type in endpoint.event_types


def delivery_row(
    event: EventEnvelope,
    now: datetime,
    *,
    endpoint_id: uuid.UUID | None = None,
    subscriber: str | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "event_id": event.id,
        "event_type": event.type,
        "district_id": event.district_id,
        "endpoint_id": endpoint_id,
        "subscriber": subscriber,
        "status": "pending",
        "attempt_count": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def plan_deliveries(
    events: Iterable[EventEnvelope], endpoints: Sequence[EndpointFilter], now: datetime
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for event in events:
        # Only the subscribers whose predicate holds: no delivery for an event a service
        # would ignore (each is an internal HTTP request).
        for subscriber in subscribers_of(event.type, event.data):
            rows.append(delivery_row(event, now, subscriber=subscriber))
        for endpoint in endpoints:
            if wants(endpoint, event):
                rows.append(delivery_row(event, now, endpoint_id=endpoint.id))
    return rows


def event_row(event: EventEnvelope, source: str, now: datetime) -> dict[str, Any]:
    return {
        "id": event.id,
        "event_type": event.type,
        "district_id": event.district_id,
        "subject": event.subject,
        "occurred_at": event.occurred_at,
        "received_at": now,
        "source": source[:200],
        "envelope": event.model_dump(mode="json"),
        "sequence": event.sequence,
    }


async def ingest_events(
    session: AsyncSession, events: Sequence[EventEnvelope], *, source: str
) -> IngestResult:
    """Idempotent on the event id: an event seen before is acknowledged and nothing is added."""
    now = utcnow()
    unique = list({event.id: event for event in events}.values())
    inserted = await repository.insert_new_events(
        session, [event_row(event, source, now) for event in unique]
    )
    fresh = [event for event in unique if event.id in inserted]
    districts = {event.district_id for event in fresh if event.district_id is not None}
    endpoints = [
        EndpointFilter(row.id, row.district_id, tuple(row.event_types or ()))
        for row in await repository.enabled_endpoints(session, districts)
    ]
    await repository.insert_deliveries(session, plan_deliveries(fresh, endpoints, now))
    return IngestResult(accepted=len(fresh), duplicates=len(events) - len(fresh))


async def number_own_events(
    session: AsyncSession, events: Sequence[EventEnvelope]
) -> list[EventEnvelope]:
    """Events the gateway makes itself (``webhook_endpoint/<id>`` subjects, which no service
    writes), numbered from the gateway's own counters in the caller's transaction."""
    return await sequence_events(session, event_sequences, events)


async def ingest_own_events(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
    """Number the gateway's own events and store them like a service's, in one transaction."""
    await ingest_events(session, await number_own_events(session, events), source=GATEWAY_SOURCE)
