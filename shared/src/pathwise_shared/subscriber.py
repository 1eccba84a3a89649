"""The receiving end of the event hub's batches: ``POST /internal/events/batch`` of an internal
subscriber (pathways, profiles).

The hub (the gateway's dispatcher) sends an internal subscriber the deliveries it has claimed for
it in one request instead of one request each: under a class answering at once, the HTTP round
trip and the request's own work were most of what a ``mastery.changed`` cost the subscriber.

Each event of a batch is still handled on its own, as if it had come alone: in its own unit of
work (one event's failure rolls back only that event), with its own outcome, an HTTP status and
what the single route would have answered. The hub records and retries every event by that
status, so a batch changes the number of requests and nothing else. Once the database is found
unavailable the rest of the batch is not tried: each is answered 503 and comes back later.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.app import DatabaseDep
from pathwise_shared.auth import CurrentPrincipal, Principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.errors import is_database_unavailable
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.events import EventEnvelope
from pathwise_shared.problems import DatabaseUnavailable, Forbidden, Problem

__all__ = [
    "BATCH_MAX_EVENTS",
    "EventBatch",
    "EventBatchOutcomes",
    "EventHandler",
    "EventOutcome",
    "ServiceEventHandler",
    "add_batch_route",
    "receive_batch",
]

logger = logging.getLogger("pathwise.subscriber")

# The hub sends at most this many in one request (events/service/sending.py); a bigger batch is
# refused as a whole (422), so a receiver's request stays well inside the hub's attempt timeout.
BATCH_MAX_EVENTS = 50

# One event, in the caller's transaction: what became of it ("advanced", "duplicate", ...).
EventHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[str]]
# A service's own handling of one delivered event, as its ``POST /internal/events`` calls it.
ServiceEventHandler = Callable[[AsyncSession, Principal, EventEnvelope], Awaitable[str]]


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventEnvelope] = Field(min_length=1, max_length=BATCH_MAX_EVENTS)


class EventOutcome(BaseModel):
    """What one event of a batch came to: the status and body its own request would have had."""

    id: uuid.UUID
    status: int = Field(description="The HTTP status of this event alone: 200, or a problem's")
    outcome: str | None = Field(
        None, description="On 200: what the event did (as `status` of the single route)"
    )
    type: str | None = Field(None, description="Otherwise: the problem's type URI")
    detail: str | None = None


class EventBatchOutcomes(BaseModel):
    results: list[EventOutcome] = Field(description="One per event, in the order sent")


async def receive_batch(
    db: Database, principal: Principal, batch: EventBatch, handle: EventHandler
) -> EventBatchOutcomes:
    """Every event of the batch through ``handle``, each in a unit of work of its own.

    Only the system delivers events (403 for the whole batch otherwise), and each event must be of
    the district the delivering principal speaks for: the hub groups a batch by district, so an
    event of another district is a mistake, answered 403 for that event alone.
    """
    if not principal.is_system:
        raise Forbidden("Only the system delivers events.", slug="system-only")
    results: list[EventOutcome] = []
    database_down = False
    for envelope in batch.events:
        if database_down:
            results.append(_problem(envelope, DatabaseUnavailable()))
            continue
        if envelope.district_id != principal.district_id:
            refused = Forbidden(
                "The event is not of the district the delivery speaks for.",
                slug="district-mismatch",
            )
            results.append(_problem(envelope, refused))
            continue
        try:
            async with unit_of_work(db) as session:
                outcome = await handle(session, envelope)
        except Problem as exc:
            results.append(_problem(envelope, exc))
        except Exception as exc:
            if not is_database_unavailable(exc):
                # A bug in one event must not cost the others theirs: it is answered 500, the
                # hub retries that one, and the log keeps the trace.
                logger.exception("event %s (%s) failed", envelope.id, envelope.type)
                results.append(EventOutcome(id=envelope.id, status=500, detail="internal error"))
                continue
            database_down = True
            results.append(_problem(envelope, DatabaseUnavailable()))
        else:
            results.append(EventOutcome(id=envelope.id, status=200, outcome=outcome))
    return EventBatchOutcomes(results=results)


def _problem(envelope: EventEnvelope, problem: Problem) -> EventOutcome:
    return EventOutcome(
        id=envelope.id, status=problem.status_code, type=problem.type, detail=problem.detail
    )


def add_batch_route(router: APIRouter, handle: ServiceEventHandler, **route: Any) -> None:
    """``POST /events/batch`` on a service's internal router, each event through ``handle``
    (what the service's ``POST /internal/events`` calls) with the delivering principal. A
    service whose handling needs more of the request (pathways: its graph cache and upstream
    callers) declares the route itself around :func:`receive_batch`."""

    @router.post("/events/batch", response_model=EventBatchOutcomes, **route)
    async def receive_events(
        batch: EventBatch, db: DatabaseDep, principal: CurrentPrincipal
    ) -> EventBatchOutcomes:
        """The hub's batch of deliveries: each event as ``POST /internal/events`` would take it,
        in a unit of work of its own, with its own outcome (docs/events.md)."""

        async def one(session: AsyncSession, envelope: EventEnvelope) -> str:
            return await handle(session, principal, envelope)

        return await receive_batch(db, principal, batch, one)
