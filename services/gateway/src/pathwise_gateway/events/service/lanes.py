"""The dispatcher's lanes: every endpoint, and every internal subscriber, is a lane with its own
in-flight budget; a claim takes at most a lane's budget from one lane and skips the full ones
(the dispatcher's docstring says why)."""

import asyncio
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from pathwise_gateway.events import repository
from pathwise_gateway.events.domain.delivery import DeliveryTarget
from pathwise_gateway.events.settings import EventHubSettings

__all__ = ["Claimed", "Lane", "LaneKey", "lane_limits", "lane_of"]

LaneKey = tuple[uuid.UUID | None, str | None]  # (endpoint_id, subscriber): one of them is set


@dataclass(frozen=True)
class Claimed:
    row: Row[Any]
    lease_until: datetime
    # One SSRF check per URL and claim: deliveries to the same endpoint share the resolved,
    # checked address (and still connect to exactly that address).
    targets: dict[str, "asyncio.Future[DeliveryTarget]"]


@dataclass
class Lane:
    """One endpoint or internal subscriber: its attempts in flight and its claimed-not-started."""

    budget: int
    in_flight: int = 0
    waiting: deque[Claimed] = field(default_factory=deque)

    @property
    def load(self) -> int:
        return self.in_flight + len(self.waiting)


def lane_of(row: Row[Any]) -> LaneKey:
    return (row.endpoint_id, None) if row.endpoint_id is not None else (None, row.subscriber)


def lane_limits(
    settings: EventHubSettings,
    lanes: Mapping[LaneKey, Lane],
    webhooks_held: int,
    subscribers: Iterable[str],
) -> tuple[int, repository.LaneLimits] | None:
    """How many to claim and from which lanes; None: every lane is full. ``webhooks_held``:
    deliveries to district endpoints claimed and not yet finished; ``subscribers``: the
    internal subscribers' names (each is a lane, full or not)."""
    per_endpoint = min(settings.endpoint_concurrency, settings.concurrency)
    per_subscriber = settings.internal_concurrency
    webhook_room = max(0, settings.concurrency - webhooks_held)
    full_endpoints: set[uuid.UUID] = set()
    full_subscribers: set[str] = set()
    for (endpoint_id, subscriber), lane in lanes.items():
        if lane.load < lane.budget:
            continue
        if endpoint_id is not None:
            full_endpoints.add(endpoint_id)
        elif subscriber is not None:
            full_subscribers.add(subscriber)
    internal_room = 0
    for name in subscribers:
        held = lanes.get((None, name))
        internal_room += per_subscriber - (held.load if held else 0)
    limit = min(settings.batch_size, webhook_room + max(0, internal_room))
    if limit <= 0:
        return None
    return limit, repository.LaneLimits(
        per_endpoint=per_endpoint,
        per_subscriber=per_subscriber,
        webhooks=webhook_room,
        skip_endpoints=frozenset(full_endpoints),
        skip_subscribers=frozenset(full_subscribers),
    )
