"""Dependency aliases of the events routers (and the webhooks routers, which build on events):
the hub on ``app.state``, so no router reads ``request.app.state`` itself."""

from typing import Annotated

from fastapi import Depends, Request

from pathwise_gateway.events.service.hub import EventHub

__all__ = ["EventHubDep", "OptionalEventHub"]


async def _event_hub(request: Request) -> EventHub:
    hub: EventHub = request.app.state.event_hub
    return hub


async def _optional_event_hub(request: Request) -> EventHub | None:
    # Waking the dispatcher is best effort: an app built without its start-up hooks has no hub.
    hub: EventHub | None = getattr(request.app.state, "event_hub", None)
    return hub


EventHubDep = Annotated[EventHub, Depends(_event_hub)]
OptionalEventHub = Annotated[EventHub | None, Depends(_optional_event_hub)]
