"""The live route table: the services' route manifests, fetched at start-up and refreshed.

A service's manifest (``pathwise_shared.route_manifest``) holds what routing needs of its OpenAPI
document and costs the service next to nothing to serve; the full documents are fetched only for
the merged public document (:meth:`RouteDirectory.documents`), when someone asks for it.

A service that is down keeps its last known operations (its calls then fail fast with 503 via
the circuit breaker); one never seen yet is retried, quickly at first (the services of a stack
start together, and the gateway is often up before them), then every few seconds; its paths
answer 503 meanwhile (see ``owner_by_prefix``).
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

import httpx
from fastapi import FastAPI, Request

from pathwise_gateway.proxy.domain.route_table import RouteTable, operations_from_openapi
from pathwise_gateway.proxy.service.upstreams import Upstreams
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.route_manifest import ROUTE_MANIFEST_PATH

__all__ = ["RouteDirectory", "route_readiness", "start_route_directory", "stop_route_directory"]

logger = logging.getLogger("pathwise.gateway.routes")

_FIRST_RETRY_SECONDS = 0.1


class RouteDirectory:
    def __init__(self, upstreams: Upstreams, settings: GatewaySettings) -> None:
        self._upstreams = upstreams
        self._refresh_seconds = settings.route_refresh_seconds
        self._retry_seconds = settings.route_retry_seconds
        self.specs: dict[str, dict[str, Any]] = {}  # each service's manifest
        # The services' full documents, for the merged public document: fetched on demand,
        # kept for one refresh period (a document can change without the manifest changing).
        self._documents: dict[str, tuple[float, dict[str, Any]]] = {}
        self.table = RouteTable()
        self.version = 0  # bumped on every change of the table (the merged OpenAPI caches on it)
        self._task: asyncio.Task[None] | None = None
        self._last_attempt: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def loaded(self, service: str) -> bool:
        return service in self.specs

    async def _get(self, service: str, path: str) -> dict[str, Any] | None:
        try:
            response = await self._upstreams[service].client.get(path)
            response.raise_for_status()
            doc = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("routes: %s did not serve %s (%s)", service, path, exc)
            return None
        return doc if isinstance(doc, dict) else None

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        self._last_attempt[service] = time.monotonic()
        return await self._get(service, ROUTE_MANIFEST_PATH)

    async def documents(self) -> dict[str, dict[str, Any]]:
        """The full OpenAPI document of every service whose routes are known (a service that
        does not answer keeps its last document, or is left out until it answers)."""
        now = time.monotonic()
        stale = [
            name
            for name in self.specs
            if name not in self._documents
            or now - self._documents[name][0] >= self._refresh_seconds
        ]
        fetched = await asyncio.gather(*(self._get(name, "/openapi.json") for name in stale))
        for name, doc in zip(stale, fetched, strict=True):
            if doc is not None:
                self._documents[name] = (now, doc)
        return {name: doc for name, (_, doc) in self._documents.items() if name in self.specs}

    def missing(self) -> list[str]:
        """The services whose routes were never loaded."""
        return [name for name in self._upstreams.by_name if name not in self.specs]

    async def refresh(self, services: tuple[str, ...] | None = None) -> None:
        names = services or tuple(self._upstreams.by_name)
        async with self._lock:
            results = await asyncio.gather(*(self._fetch(name) for name in names))
            changed = False
            for name, spec in zip(names, results, strict=True):
                if spec is not None and spec != self.specs.get(name):
                    self.specs[name] = spec
                    changed = True
            if changed:
                self.table = RouteTable(
                    op
                    for name, spec in self.specs.items()
                    for op in operations_from_openapi(name, spec)
                )
                self.version += 1
                logger.info("routes: %d public operations", len(self.table))

    async def refresh_missing(self, service: str) -> None:
        """On a call for a service we have no routes of: try again, at most every few seconds."""
        if time.monotonic() - self._last_attempt.get(service, 0.0) >= self._retry_seconds:
            await self.refresh((service,))

    async def _loop(self) -> None:
        quick = _FIRST_RETRY_SECONDS
        while True:
            if self.missing():
                # Doubling from a tenth of a second: a service starting beside the gateway is
                # found within moments of answering, one that is down is asked every few seconds.
                await asyncio.sleep(min(quick, self._retry_seconds))
                quick *= 2
            else:
                await asyncio.sleep(self._refresh_seconds)
            try:
                await self.refresh()
            except Exception:  # a refresh must never kill the loop
                logger.exception("routes: refresh failed")

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="gateway-route-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def start_route_directory(app: FastAPI) -> None:
    directory = RouteDirectory(app.state.upstreams, app.state.settings)
    await directory.refresh()
    directory.start()
    app.state.routes = directory


async def stop_route_directory(app: FastAPI) -> None:
    directory: RouteDirectory | None = getattr(app.state, "routes", None)
    if directory is not None:
        await directory.stop()


def route_readiness(request: Request) -> dict[str, str]:
    """The readiness probe's ``routes`` fact: ``complete`` once every service's routes were
    loaded, else which are missing. It does not fail the probe (the gateway serves the services
    it knows); the local stack and the tests wait for ``complete``."""
    directory: RouteDirectory | None = getattr(request.app.state, "routes", None)
    if directory is None:
        return {"routes": "not loaded"}
    missing = directory.missing()
    return {"routes": f"missing {', '.join(missing)}" if missing else "complete"}
