"""405 handling for the gateway's own routes behind a catch-all.

The proxy's catch-all ``/v1/{path}`` is included after every other router, so the gateway's own
``/v1`` routes win. That order has a catch: a gateway route asked with a method it does not serve
is only a partial match for Starlette, and the catch-all (a full match) takes the request. The
guard from :func:`method_guard` runs first on the catch-all (before authentication, as routing
would) and answers 405 with ``Allow`` listing every method the gateway's own routes serve on that
path. HEAD and OPTIONS come there too, so they are 405 + ``Allow`` like any other unserved method
(no route serves them; CORS preflights are answered earlier by the CORS middleware).
"""

import re
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

from pathwise_gateway.edge.domain.methods import MethodNotAllowed

__all__ = ["method_guard"]

OwnRoutes = Sequence[tuple[re.Pattern[str], frozenset[str]]]


def _own_routes(app: FastAPI, catch_all: str) -> OwnRoutes:
    """The gateway's own /v1 routes (path pattern, methods), computed once per app."""
    cached: OwnRoutes | None = getattr(app.state, "own_v1_routes", None)
    if cached is None:
        # iter_route_contexts: FastAPI keeps included routers as branches, not flat routes.
        cached = [
            (compile_path(route.path)[0], frozenset(route.methods))
            for route in iter_route_contexts(app.routes)
            if route.path
            and route.methods
            and route.path != catch_all
            and route.path.startswith("/v1/")
        ]
        app.state.own_v1_routes = cached
    return cached


def method_guard(catch_all: str) -> Callable[[Request], Awaitable[None]]:
    """The dependency of the catch-all route ``catch_all``: 405 for a method none of the
    gateway's own routes on the path serves."""

    # ``async``: FastAPI runs a plain ``def`` dependency in a worker thread (a hop per call).
    async def refuse_wrong_method(request: Request) -> None:
        path: str = request.scope["path"]
        allowed: set[str] = set()
        for pattern, methods in _own_routes(request.app, catch_all):
            if pattern.match(path):
                allowed |= methods
        if allowed and request.method not in allowed:
            raise MethodNotAllowed(
                f"{request.method} is not allowed here.",
                headers={"Allow": ", ".join(sorted(allowed))},
            )

    return refuse_wrong_method
