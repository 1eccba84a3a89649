"""Authentication before anything else: a protected route answers 401 to a caller without a valid
bearer token before its body is read, parsed or validated.

FastAPI reads and parses a route's JSON body before it resolves the route's dependencies, so
without this a missing token plus an unreadable body was a 400 (telling an anonymous caller how
we parse), and a deeply nested one a 422. Which routes are protected is not listed by hand: a
route is protected when its dependency tree contains the public caller check
(:func:`pathwise_gateway.security.get_caller`, the ``CallerPrincipal`` every public route and the
``/v1`` proxy take) or the internal-token check (:func:`pathwise_shared.auth.get_principal`), so a
new route is covered the moment it declares its principal. The principal found here is left in
the request state, where the dependency picks it up (one verification, one rate-limit hit).
"""

from typing import Literal

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from pathwise_gateway.security import authenticate_request, get_caller
from pathwise_shared.auth import get_principal
from pathwise_shared.problems import Problem, problem_response

__all__ = ["AuthFirstMiddleware", "route_guard"]

Guard = Literal["caller", "internal"] | None


def _guard_of(dependant: Dependant) -> Guard:
    if dependant.call is get_caller:
        return "caller"
    if dependant.call is get_principal:
        return "internal"
    for sub in dependant.dependencies:
        found = _guard_of(sub)
        if found is not None:
            return found
    return None


def route_guard(route: BaseRoute) -> Guard:
    """Which principal check a route declares (None: a public route, e.g. the token endpoint)."""
    return _guard_of(route.dependant) if isinstance(route, APIRoute) else None


class AuthFirstMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._guards: dict[int, Guard] = {}

    def _guard_for(self, scope: Scope) -> Guard:
        app = scope.get("app")
        if not isinstance(app, FastAPI):
            return None
        # The route Starlette will pick: the first full match, in declaration order. A method
        # mismatch (partial match) is left to the router (405), as is no match at all (404).
        for route in app.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                key = id(route)
                if key not in self._guards:
                    self._guards[key] = route_guard(route)
                return self._guards[key]
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = self._guard_for(scope)
        if guard is not None:
            request = Request(scope)
            try:
                if guard == "caller":
                    await authenticate_request(request)
                else:
                    get_principal(request)
            except Problem as exc:
                response = problem_response(
                    exc.status_code,
                    exc.title,
                    detail=exc.detail,
                    type_=exc.type,
                    instance=scope.get("path"),
                    headers=exc.headers,
                    extensions=exc.extensions,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
