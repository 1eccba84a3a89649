"""The event hub's life in the gateway process: HTTP clients and the dispatcher task.

``event_hub_hooks(guard)`` gives the start-up and shutdown hooks of the gateway app; ``guard`` is
the webhooks feature's SSRF check and signature (events never imports webhooks: see
``events/domain/delivery.py``). Settings come from ``app.state.event_hub_settings`` when a test
set them, else the environment.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from fastapi import FastAPI

from pathwise_gateway.events.domain.catalog import internal_subscribers
from pathwise_gateway.events.domain.delivery import WebhookGuard
from pathwise_gateway.events.service.dispatcher import Dispatcher
from pathwise_gateway.events.service.webhook_http import open_webhook_session
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_shared.calls import ServiceCallers
from pathwise_shared.settings import ServiceSettings

__all__ = ["EventHub", "event_hub_hooks", "get_event_hub"]

logger = logging.getLogger("pathwise.gateway.events")

Hook = Callable[[FastAPI], Awaitable[None]]


class EventHub:
    def __init__(self, settings: EventHubSettings, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.callers: ServiceCallers | None = None
        self.webhooks: aiohttp.ClientSession | None = None
        self.task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self.dispatcher.wake()


def _internal_callers(settings: ServiceSettings, timeout: float) -> ServiceCallers:
    """Callers of the internal subscribers only, without retries: a failed delivery is the
    dispatcher's to retry, on its own schedule."""
    urls = {
        "profiles": settings.profiles_url,
        "pathways": settings.pathways_url,
        "assessment": settings.assessment_url,
    }
    wanted = sorted(internal_subscribers())
    return ServiceCallers(
        {name: urls[name] for name in wanted},
        secret=settings.internal_token_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
        timeout=timeout,
        retries=0,
    )


def event_hub_hooks(guard: WebhookGuard) -> tuple[Hook, Hook]:
    """The hub's start-up and shutdown hooks, delivering webhooks through ``guard``."""

    async def start_event_hub(app: FastAPI) -> None:
        service_settings: ServiceSettings = app.state.settings
        settings: EventHubSettings = getattr(app.state, "event_hub_settings", None) or (
            EventHubSettings(environment=service_settings.environment)
        )
        webhooks = open_webhook_session(
            timeout_seconds=settings.timeout_seconds,
            connect_timeout_seconds=min(settings.timeout_seconds, 5.0),
            max_connections=settings.concurrency,
        )
        callers = _internal_callers(service_settings, settings.timeout_seconds)
        wanted = internal_subscribers()
        internal = {name: callers[name] for name in wanted}
        dispatcher = Dispatcher(app.state.db, settings, webhooks, internal, guard=guard)
        hub = EventHub(settings, dispatcher)
        hub.callers = callers
        hub.webhooks = webhooks
        app.state.event_hub = hub
        if settings.dispatcher:
            hub.task = asyncio.create_task(hub.dispatcher.run(), name="webhook-dispatcher")

    return start_event_hub, stop_event_hub


async def stop_event_hub(app: FastAPI) -> None:
    hub: EventHub | None = getattr(app.state, "event_hub", None)
    if hub is None:
        return
    if hub.task is not None:
        hub.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hub.task
        hub.task = None
    if hub.callers is not None:
        await hub.callers.aclose()
        hub.callers = None
    if hub.webhooks is not None:
        await hub.webhooks.close()
        hub.webhooks = None


def get_event_hub(app: FastAPI) -> EventHub:
    hub: EventHub = app.state.event_hub
    return hub
