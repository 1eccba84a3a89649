"""Prometheus metrics of every service: answers by route template, method and status.

``http_requests_total{handler,method,status}`` (status grouped as ``2xx``, ``4xx``…) and
``http_request_duration_seconds{handler,method}`` (buckets 0.1, 0.5, 1 s), the names and labels
documented in docs/operations.md. A pure ASGI middleware doing only that: the handler is the
template of the route the router matched (left in the scope as ``route``), read after the answer,
so no route is matched twice; a request no route matched counts as ``handler="none"``. The
labelled series are looked up once per (handler, method, status) and kept.

(prometheus-fastapi-instrumentator, used before, matched every request against the route list a
second time, built a ``Request`` and a ``Response`` per call and fed five metrics: about a tenth
of a proxied call's CPU in the gateway.)
"""

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["REQUESTS", "REQUEST_DURATION", "MetricsMiddleware", "metrics_endpoint"]


def _existing(name: str) -> Any:
    # Module state survives a re-import in tests (importlib.reload): reuse what is registered.
    return REGISTRY._names_to_collectors.get(name)


REQUESTS: Counter = _existing("http_requests_total") or Counter(
    "http_requests_total",
    "Total number of requests by method, status and handler.",
    ("method", "status", "handler"),
)
REQUEST_DURATION: Histogram = _existing("http_request_duration_seconds") or Histogram(
    "http_request_duration_seconds",
    "Latency with only few buckets by handler and method.",
    ("method", "handler"),
    buckets=(0.1, 0.5, 1.0, float("inf")),
)

_STATUS_GROUP = {n: f"{n}xx" for n in range(1, 6)}
_Series = tuple[Any, Any]


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, excluded: frozenset[str] = frozenset({"/metrics"})) -> None:
        self.app = app
        self._excluded = excluded
        self._series: dict[tuple[str, str, int], _Series] = {}

    def _of(self, handler: str, method: str, status: int) -> _Series:
        key = (handler, method, status // 100)
        found = self._series.get(key)
        if found is None:
            group = _STATUS_GROUP.get(status // 100, str(status))
            found = (
                REQUESTS.labels(method, group, handler),
                REQUEST_DURATION.labels(method, handler),
            )
            if len(self._series) < 10_000:  # bounded: handlers are templates, but be sure
                self._series[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            handler = getattr(route, "path", None) or "none"
            if handler not in self._excluded:
                counter, histogram = self._of(handler, scope["method"], status)
                counter.inc()
                histogram.observe(time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the Prometheus text format of this process's registry."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
