"""The event hub's life in the gateway process: HTTP clients and the dispatcher task.

``start_event_hub`` / ``stop_event_hub`` are start-up and shutdown hooks of the gateway app.
Settings come from ``app.state.event_hub_settings`` when a test set them, else the environment.
"""

import asyncio
import contextlib
import logging

import aiohttp
import httpx
from fastapi import FastAPI

from pathwise_gateway.events.catalog import INTERNAL_SUBSCRIPTIONS
from pathwise_gateway.events.dispatcher import Dispatcher
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_gateway.events.webhook_http import open_webhook_session
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.http import create_http_client
from pathwise_shared.settings import ServiceSettings

__all__ = ["EventHub", "get_event_hub", "start_event_hub", "stop_event_hub"]

logger = logging.getLogger("pathwise.gateway.events")


class EventHub:
    def __init__(self, settings: EventHubSettings, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.clients: list[httpx.AsyncClient] = []
        self.webhooks: aiohttp.ClientSession | None = None
        self.task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self.dispatcher.wake()


def _internal_callers(
    settings: ServiceSettings, timeout: float
) -> tuple[dict[str, ServiceCaller], list[httpx.AsyncClient]]:
    urls = {
        "profiles": settings.profiles_url,
        "pathways": settings.pathways_url,
        "assessment": settings.assessment_url,
    }
    wanted = {name for names in INTERNAL_SUBSCRIPTIONS.values() for name in names}
    callers: dict[str, ServiceCaller] = {}
    clients: list[httpx.AsyncClient] = []
    secret = settings.internal_token_secret.get_secret_value()
    for name in sorted(wanted):
        client = create_http_client(urls[name], timeout=timeout, retries=0)
        clients.append(client)
        callers[name] = ServiceCaller(name, client, secret, settings.internal_token_ttl_seconds)
    return callers, clients


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
    callers, clients = _internal_callers(service_settings, settings.timeout_seconds)
    hub = EventHub(settings, Dispatcher(app.state.db, settings, webhooks, callers))
    hub.clients = clients
    hub.webhooks = webhooks
    app.state.event_hub = hub
    if settings.dispatcher:
        hub.task = asyncio.create_task(hub.dispatcher.run(), name="webhook-dispatcher")


async def stop_event_hub(app: FastAPI) -> None:
    hub: EventHub | None = getattr(app.state, "event_hub", None)
    if hub is None:
        return
    if hub.task is not None:
        hub.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hub.task
        hub.task = None
    for client in hub.clients:
        await client.aclose()
    hub.clients = []
    if hub.webhooks is not None:
        await hub.webhooks.close()
        hub.webhooks = None


def get_event_hub(app: FastAPI) -> EventHub:
    hub: EventHub = app.state.event_hub
    return hub
