"""Every route of the four services runs on the event loop: no plain ``def`` endpoint or dependency.

FastAPI runs a plain ``def`` in a worker thread. For the few lines a dependency does (read
``app.state``, compare a role), the hand-off to the thread and back, with the GIL passed between
them, cost more than the work: on the profile read it was about a tenth of the profiles service's
CPU under load (issue 13). Blocking work belongs in an explicit ``run_in_threadpool`` where it is
meant, not in a dependency that became one by its spelling.
"""

import inspect
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from pathwise_devstack.testing import api_routes, service_apps

APPS = service_apps()


def _runs_on_loop(call: Any) -> bool:
    if inspect.isclass(call):
        return True  # a class dependency builds a value; FastAPI calls it inline
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    dunder = getattr(call, "__call__", None)  # noqa: B004 - a callable instance's own method
    return inspect.iscoroutinefunction(dunder) or inspect.isasyncgenfunction(dunder)


def threaded(app: FastAPI) -> list[str]:
    """``METHOD path: name`` of each endpoint or dependency FastAPI would run in a thread."""
    found: list[str] = []

    def walk(route: APIRoute, dependant: Dependant) -> None:
        for dep in dependant.dependencies:
            if dep.call is not None and not _runs_on_loop(dep.call):
                name = getattr(dep.call, "__qualname__", repr(dep.call))
                found.append(f"{sorted(route.methods or ())} {route.path}: {name}")
            walk(route, dep)

    for route in api_routes(app.routes):
        if not _runs_on_loop(route.endpoint):
            found.append(
                f"{sorted(route.methods or ())} {route.path}: {route.endpoint.__qualname__}"
            )
        walk(route, route.dependant)
    return sorted(set(found))


@pytest.mark.parametrize("service", sorted(APPS))
def test_no_endpoint_or_dependency_runs_in_a_thread(service: str) -> None:
    app = APPS[service]()
    assert list(api_routes(app.routes)), "no operations found: the walk no longer sees the routes"
    assert threaded(app) == []


def test_the_walk_finds_a_plain_def_dependency() -> None:
    """The check itself can fail: a plain ``def`` dependency on a route is reported."""

    def plain() -> int:
        return 1

    app = FastAPI()

    @app.get("/x", dependencies=[Depends(plain)])
    async def endpoint() -> dict[str, int]:
        return {}

    @app.get("/y")
    def sync_endpoint() -> dict[str, int]:
        return {}

    assert threaded(app) == [
        "['GET'] /x: test_the_walk_finds_a_plain_def_dependency.<locals>.plain",
        "['GET'] /y: test_the_walk_finds_a_plain_def_dependency.<locals>.sync_endpoint",
    ]
