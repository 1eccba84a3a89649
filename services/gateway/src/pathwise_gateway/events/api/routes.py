"""Routes of the event hub: the internal ingest, and the public event catalog."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.events.api.deps import OptionalEventHub
from pathwise_gateway.events.domain.catalog import catalog_entries, envelope_schema
from pathwise_gateway.events.schemas import Catalog, CatalogEntry, EventBatch, IngestAnswer
from pathwise_gateway.events.service import intake as service
from pathwise_gateway.events.service.hub import EventHub
from pathwise_shared.access import ALL_USERS
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.events import EventEnvelope
from pathwise_shared.problems import Forbidden, problem_responses

__all__ = ["internal_router", "public_router"]

internal_router = APIRouter(prefix="/internal", tags=["internal"])
public_router = APIRouter(prefix="/v1/events", tags=["events"])


def _wake(hub: EventHub | None) -> None:
    if hub is not None:
        hub.wake()


@internal_router.post(
    "/events",
    status_code=202,
    response_model=IngestAnswer,
    summary="Event ingest from the services' outbox relays (idempotent on the event id)",
    responses=problem_responses(401, 403, 422),
)
async def ingest_events(
    body: Annotated[EventEnvelope | EventBatch, Body()],
    session: DbSession,
    principal: CurrentPrincipal,
    hub: OptionalEventHub,
    background: BackgroundTasks,
) -> IngestAnswer:
    if not principal.is_system:
        raise Forbidden("Only Pathwise services publish events.", slug="forbidden-publisher")
    events = body.events if isinstance(body, EventBatch) else [body]
    result = await service.ingest_events(session, events, source=principal.subject)
    # After the response, i.e. after the commit: the dispatcher then finds the new deliveries.
    background.add_task(_wake, hub)
    return IngestAnswer(accepted=result.accepted, duplicates=result.duplicates)


@public_router.get(
    "/types",
    response_model=Catalog,
    response_model_by_alias=True,
    summary="The event catalog: every event type and the JSON Schema of its data",
    **gateway_access(roles=ALL_USERS, scopes=["events:read", "webhooks:manage"]),
)
async def list_event_types() -> Catalog:
    return Catalog(
        items=[CatalogEntry.model_validate(entry) for entry in catalog_entries()],
        envelope=envelope_schema(),
    )
