"""The catch-all ``/v1/{path}`` route: every public operation a service publishes.

Included after every other router (see ``app.py``), so the gateway's own ``/v1`` routes win.

That order has a catch: a gateway route asked with a method it does not serve is only a partial
match for Starlette, and the catch-all (a full match) takes the request. ``refuse_wrong_method``
runs first (before authentication, as routing would) and answers 405 with ``Allow`` listing every
method the gateway's own routes serve on that path. HEAD and OPTIONS come here too, so they are
405 + ``Allow`` like any other unserved method (no route serves them; CORS preflights are
answered earlier by the CORS middleware).
"""

import re
from collections.abc import Sequence

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

from pathwise_gateway.security import CallerPrincipal
from pathwise_gateway.service.proxy import CallRequest, Gateway, MethodNotAllowed

__all__ = ["router"]

PATH = "/v1/{path:path}"
OwnRoutes = Sequence[tuple[re.Pattern[str], frozenset[str]]]


def _own_routes(app: FastAPI) -> OwnRoutes:
    """The gateway's own /v1 routes (path pattern, methods), computed once per app."""
    cached: OwnRoutes | None = getattr(app.state, "own_v1_routes", None)
    if cached is None:
        # iter_route_contexts: FastAPI keeps included routers as branches, not flat routes.
        cached = [
            (compile_path(route.path)[0], frozenset(route.methods))
            for route in iter_route_contexts(app.routes)
            if route.path and route.methods and route.path != PATH and route.path.startswith("/v1/")
        ]
        app.state.own_v1_routes = cached
    return cached


def refuse_wrong_method(request: Request) -> None:
    path = request.url.path
    allowed: set[str] = set()
    for pattern, methods in _own_routes(request.app):
        if pattern.match(path):
            allowed |= methods
    if allowed and request.method not in allowed:
        raise MethodNotAllowed(
            f"{request.method} is not allowed here.", headers={"Allow": ", ".join(sorted(allowed))}
        )


router = APIRouter()


@router.api_route(
    PATH,
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    include_in_schema=False,
    dependencies=[Depends(refuse_wrong_method)],
)
async def forward_public_call(request: Request, principal: CallerPrincipal) -> Response:
    gateway: Gateway = request.app.state.gateway
    call = CallRequest(
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=await request.body(),
        request_id=correlation_id.get() or "",
        limit=request.query_params.get("limit"),
    )
    answer = await gateway.call(principal, call)
    return Response(content=answer.body, status_code=answer.status, headers=answer.headers)
