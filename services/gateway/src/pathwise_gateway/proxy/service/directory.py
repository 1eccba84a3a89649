"""The live route table: the services' OpenAPI documents, fetched at start-up and refreshed.

A service that is down keeps its last known operations (its calls then fail fast with 503 via
the circuit breaker); one never seen yet is retried every few seconds, and its paths answer 503
meanwhile (see ``owner_by_prefix``).
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

import httpx
from fastapi import FastAPI

from pathwise_gateway.proxy.domain.route_table import RouteTable, operations_from_openapi
from pathwise_gateway.proxy.service.upstreams import Upstreams
from pathwise_gateway.settings import GatewaySettings

__all__ = ["RouteDirectory", "start_route_directory", "stop_route_directory"]

logger = logging.getLogger("pathwise.gateway.routes")


class RouteDirectory:
    def __init__(self, upstreams: Upstreams, settings: GatewaySettings) -> None:
        self._upstreams = upstreams
        self._refresh_seconds = settings.route_refresh_seconds
        self._retry_seconds = settings.route_retry_seconds
        self.specs: dict[str, dict[str, Any]] = {}
        self.table = RouteTable()
        self.version = 0  # bumped on every change of the table (the merged OpenAPI caches on it)
        self._task: asyncio.Task[None] | None = None
        self._last_attempt: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def loaded(self, service: str) -> bool:
        return service in self.specs

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        upstream = self._upstreams[service]
        self._last_attempt[service] = time.monotonic()
        try:
            response = await upstream.client.get("/openapi.json")
            response.raise_for_status()
            spec = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("routes: %s did not serve its OpenAPI (%s)", service, exc)
            return None
        return spec if isinstance(spec, dict) else None

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
        while True:
            missing = [n for n in self._upstreams.by_name if n not in self.specs]
            await asyncio.sleep(self._retry_seconds if missing else self._refresh_seconds)
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
