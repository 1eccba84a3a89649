"""The proxied calls skip the route search: a public call on a path that no route of the gateway's
own serves goes straight to the catch-all that forwards it.

Nearly every request the gateway gets is forwarded, and its catch-alls are the last routes
(``forwarding.py``: the gateway's own ``/v1`` routes must win). FastAPI found them by trying every
route in turn, then ran the route's dependency machinery for an endpoint that declares none. That
was about a sixth of the gateway's CPU on a forwarded profile read (the route search alone about
an eighth), for an answer known in advance: a path that no own route's pattern matches, under
``/v1/`` or the OneRoster base, is the catch-all's.

What stays the same, so a forwarded call cannot tell which way it came:

- every middleware runs, in the same order (this sits where the router is, inside them all and
  inside the exception middleware, so a raised problem is answered by the same handlers);
- the scope carries what routing would put there (``route``, ``endpoint``, ``path_params``,
  ``router``): the metrics label and the auth-first check read the route from it;
- a path that any own route's pattern matches, whatever the method, goes the long way: the
  router picks the own route, or the catch-all with its 405 guard;
- a method the catch-all does not take goes the long way too (the router's 405).

The endpoint is called with the request alone: :func:`install_forward_first` refuses, at start-up,
a catch-all that declares any dependency, since this path would not resolve it.
"""

import re
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request
from starlette.routing import Match, Router, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ForwardFirst", "install_forward_first"]


class ForwardFirst:
    """The router's own ASGI app, with the catch-alls tried first where only they can match."""

    def __init__(
        self,
        router: Router,
        search: ASGIApp,
        routes: Sequence[APIRoute],
        own_paths: re.Pattern[str] | None,
    ) -> None:
        self.router = router
        self.search = search
        self.routes = routes
        self.own_paths = own_paths
        self.prefixes = tuple(route.path.removesuffix("{path:path}") for route in routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # FastAPI's own telemetry, when turned on, names the route during the search: leave it.
        if scope["type"] == "http" and scope.get("fastapi.telemetry") is None:
            path: str = scope["path"]
            if path.startswith(self.prefixes) and (
                self.own_paths is None or self.own_paths.match(path) is None
            ):
                for route in self.routes:
                    match, child = route.matches(scope)
                    if match is Match.FULL:
                        scope.update(child)
                        scope.setdefault("router", self.router)
                        response = await route.endpoint(Request(scope, receive, send))
                        await response(scope, receive, send)
                        return
        await self.search(scope, receive, send)


def _bare(pattern: re.Pattern[str]) -> str:
    """A route's pattern without its group names (joined with others, names would clash), and
    without its anchors."""
    return re.sub(r"\(\?P<[^>]+>", "(?:", pattern.pattern).removeprefix("^").removesuffix("$")


def install_forward_first(app: FastAPI, catch_alls: Sequence[str]) -> None:
    """Put :class:`ForwardFirst` in front of ``app``'s route search, for the catch-all routes at
    the paths ``catch_alls`` (each ending ``{path:path}``). Call after every route is included."""
    contexts = list(iter_route_contexts(app.routes))
    routes: list[APIRoute] = []
    for wanted in catch_alls:
        found = [c.original_route for c in contexts if c.path == wanted]
        if len(found) != 1 or not isinstance(found[0], APIRoute):
            raise RuntimeError(f"the catch-all {wanted} is not one API route")
        route = found[0]
        if route.dependant.dependencies or route.dependant.path_params:
            # This path calls the endpoint with the request alone: it would skip them.
            raise RuntimeError(f"the catch-all {wanted} declares dependencies or parameters")
        routes.append(route)
    prefixes = tuple(wanted.removesuffix("{path:path}") for wanted in catch_alls)
    own = [
        _bare(compile_path(c.path)[0])
        for c in contexts
        if c.path and c.path not in catch_alls and c.path.startswith(prefixes)
    ]
    own_paths = re.compile("^(?:" + "|".join(own) + ")$") if own else None
    router = app.router
    router.middleware_stack = ForwardFirst(router, router.middleware_stack, routes, own_paths)
