"""Authentication before anything else: a protected route answers 401 to a caller without a valid
bearer token before its body is read, parsed or validated.

FastAPI reads and parses a route's JSON body before it resolves the route's dependencies, so
without this a missing token plus an unreadable body was a 400 (telling an anonymous caller how
we parse), and a deeply nested one a 422. Which routes are protected is not listed by hand: a
route is protected when its dependency tree contains the public caller check
(:func:`pathwise_gateway.edge.api.deps.get_caller`, the ``CallerPrincipal`` every public route and the
``/v1`` proxy take) or the internal-token check (:func:`pathwise_shared.auth.get_principal`), so a
new route is covered the moment it declares its principal.

The check runs when the route first asks for its body: by then the router has put the matched
route in the scope (routing is FastAPI's own; nothing here re-implements it). A refused caller's
read sees a disconnect, the route's own answer to that is dropped, and the 401 is sent instead
(the pattern of ``body_limit``). The principal found is left in the request state, where the
dependency picks it up (one verification, one rate-limit hit). Routes that read no body are
authenticated by their dependency, which FastAPI resolves before anything else.
"""

from typing import Literal

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_gateway.edge.api.deps import (
    authenticate_request,
    get_caller,
    get_caller_or_anonymous,
)
from pathwise_shared.auth import get_principal
from pathwise_shared.problems import Problem, problem_response

__all__ = ["AuthFirstMiddleware", "route_guard"]

# ``caller_or_anonymous``: the proxy's check, which lets a tokenless call through to an operation
# declared anonymous (and refuses it everywhere else, before its body is read like any other).
Guard = Literal["caller", "caller_or_anonymous", "internal"] | None


def _guard_of(dependant: Dependant) -> Guard:
    if dependant.call is get_caller:
        return "caller"
    if dependant.call is get_caller_or_anonymous:
        return "caller_or_anonymous"
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

    def _guard_for(self, route: object) -> Guard:
        if not isinstance(route, BaseRoute):
            return None
        key = id(route)
        if key not in self._guards:
            self._guards[key] = route_guard(route)
        return self._guards[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checked = False
        refused: Problem | None = None
        failed: Exception | None = None
        started = False

        async def guarded_receive() -> Message:
            nonlocal checked, refused, failed
            if not checked:
                checked = True
                guard = self._guard_for(scope.get("route"))
                if guard is not None:
                    request = Request(scope)
                    try:
                        if guard == "caller":
                            await authenticate_request(request)
                        elif guard == "caller_or_anonymous":
                            await authenticate_request(request, anonymous_allowed=True)
                        else:
                            await get_principal(request)
                    except Problem as exc:
                        refused = exc
                    except Exception as exc:  # reported as it was before: a 500 problem
                        failed = exc
            if refused is not None or failed is not None:
                return {"type": "http.disconnect"}
            return await receive()

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if (refused is not None or failed is not None) and not started:
                return  # the route's answer to a body it was not given
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if refused is None and failed is None:
                raise
        if failed is not None:
            raise failed
        if refused is not None and not started:
            response = problem_response(
                refused.status_code,
                refused.title,
                detail=refused.detail,
                type_=refused.type,
                instance=scope.get("path"),
                headers=refused.headers,
                extensions=refused.extensions,
            )
            await response(scope, receive, send)
