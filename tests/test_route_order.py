"""No route of the four services is hidden by another: the order of the routers is free.

Starlette tries routes in order and takes the first that matches. The services put their
hottest routers first (FastAPI walks included routers one by one: for the profile read that walk
was about a tenth of the profiles service's CPU, issue 13); that is only safe while no route can
capture another's requests. For every operation, a request built from its own path (each
parameter a fresh UUID, which no literal segment equals) must reach that operation, with each of
its methods.
"""

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from pathwise_devstack.testing import service_apps

APPS = service_apps()


def ordered_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The app's routes in the order Starlette tries them, included routers unfolded."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from ordered_routes(route.original_router.routes)
        else:
            yield route


def sample_path(route: APIRoute) -> str:
    path = route.path
    for name in route.param_convertors:
        fresh = str(uuid.uuid4())
        path = path.replace(f"{{{name}:path}}", fresh).replace(f"{{{name}}}", fresh)
    return path


def first_full_match(routes: list[Any], method: str, path: str) -> Any:
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
    return None


def hidden(app: FastAPI) -> list[str]:
    """``METHOD path → path`` of each operation whose own request reaches another route."""
    routes = list(ordered_routes(app.routes))
    found = []
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        path = sample_path(route)
        for method in sorted(route.methods or ()):
            winner = first_full_match(routes, method, path)
            if winner is not route:
                found.append(f"{method} {route.path} → {getattr(winner, 'path', None)}")
    return found


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_operation_is_reached_by_its_own_requests(service: str) -> None:
    app = APPS[service]()
    assert sum(isinstance(r, APIRoute) for r in ordered_routes(app.routes)) > 5
    assert hidden(app) == []


def test_a_hidden_route_is_found() -> None:
    """The check itself can fail: a parameter route ahead of a literal one hides it."""
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def one_thing(thing_id: str) -> dict[str, str]:
        return {}

    @router.get("/things/mine")
    async def my_things() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    assert hidden(app) == ["GET /things/mine → /things/{thing_id}"]
