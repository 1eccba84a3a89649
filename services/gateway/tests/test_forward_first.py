"""The proxied calls skip the route search (``proxy/api/fast_path.py``): a small app with the
gateway's layout (own ``/v1`` routes, then the catch-all), and the real gateway app's table.

Each test compares with what the route search would have done; the search is wrapped so a test
can see whether it ran.
"""

import re
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.types import Receive, Scope, Send

from pathwise_gateway.app import create_app
from pathwise_gateway.proxy.api import forwarding
from pathwise_gateway.proxy.api.fast_path import ForwardFirst, install_forward_first
from pathwise_shared.problems import Problem

CATCH_ALL = "/v1/{path:path}"
OTHER = "/other/{path:path}"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class Teapot(Problem):
    status_code = 418
    title = "A teapot"


def _app() -> tuple[FastAPI, list[str]]:
    """Own routes first, the catch-alls last, as the gateway; ``searched`` lists the paths that
    went through the route search."""
    app = FastAPI()
    own = APIRouter()

    @own.get("/v1/learners/{learner_id}/overview")
    async def overview(learner_id: str) -> dict[str, str]:
        return {"own": learner_id}

    @own.post("/v1/auth/token")
    async def token() -> dict[str, str]:
        return {"own": "token"}

    forward = APIRouter()

    async def forwarded(request: Request) -> JSONResponse:
        if request.url.path.endswith("/teapot"):
            raise Teapot("Short and stout.")
        route = request.scope["route"]
        return JSONResponse(
            {"route": route.path, "params": request.scope["path_params"],
             "body": (await request.body()).decode()}
        )  # fmt: skip

    forward.add_api_route(CATCH_ALL, forwarded, methods=_METHODS)
    forward.add_api_route(OTHER, forwarded, methods=["GET"])
    app.include_router(own)
    app.include_router(forward)

    async def teapot(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"problem": "teapot"}, status_code=418)

    app.add_exception_handler(Teapot, teapot)
    install_forward_first(app, [CATCH_ALL, OTHER])
    searched: list[str] = []
    first = app.router.middleware_stack
    assert isinstance(first, ForwardFirst)
    search = first.search

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            searched.append(scope["path"])
        await search(scope, receive, send)

    first.search = counted
    return app, searched


async def _call(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        return await client.request(method, path, **kwargs)


async def test_a_forwarded_call_skips_the_search_and_carries_the_route() -> None:
    app, searched = _app()
    answer = await _call(app, "PUT", "/v1/attempts/a/responses/b", content=b'{"x": 1}')
    assert answer.status_code == 200
    assert answer.json() == {
        "route": CATCH_ALL, "params": {"path": "attempts/a/responses/b"}, "body": '{"x": 1}',
    }  # fmt: skip
    # A learner path that is not the own overview is forwarded too, and the second catch-all.
    assert (await _call(app, "GET", "/v1/learners/x/profile")).json()["route"] == CATCH_ALL
    assert (await _call(app, "GET", "/other/thing")).json()["route"] == OTHER
    assert searched == []


async def test_an_own_route_still_wins_and_goes_through_the_search() -> None:
    app, searched = _app()
    assert (await _call(app, "GET", "/v1/learners/7/overview")).json() == {"own": "7"}
    assert (await _call(app, "POST", "/v1/auth/token")).json() == {"own": "token"}
    assert searched == ["/v1/learners/7/overview", "/v1/auth/token"]


async def test_an_own_path_with_another_method_goes_the_long_way() -> None:
    app, searched = _app()
    # The search finds the catch-all (a full match) as it always did: here it forwards it; in
    # the gateway, the catch-all's method guard answers 405 (tests/test_gateway_methods.py).
    answer = await _call(app, "DELETE", "/v1/learners/7/overview")
    assert answer.json()["route"] == CATCH_ALL
    assert searched == ["/v1/learners/7/overview"]


async def test_a_method_the_catch_all_does_not_take_goes_the_long_way() -> None:
    app, searched = _app()
    answer = await _call(app, "POST", "/other/thing")
    assert answer.status_code == 405  # the search's answer: a partial match
    assert searched == ["/other/thing"]


async def test_a_raised_problem_reaches_the_apps_handlers() -> None:
    app, searched = _app()
    answer = await _call(app, "GET", "/v1/kettle/teapot")
    assert answer.status_code == 418
    assert answer.json() == {"problem": "teapot"}
    assert searched == []


def test_a_catch_all_with_a_dependency_is_refused_at_start_up() -> None:
    app = FastAPI()

    async def needed() -> str:
        return "x"

    async def forwarded(request: Request, value: str = Depends(needed)) -> JSONResponse:
        return JSONResponse({})

    app.add_api_route(CATCH_ALL, forwarded, methods=["GET"])
    with pytest.raises(RuntimeError, match="declares dependencies"):
        install_forward_first(app, [CATCH_ALL])
    with pytest.raises(RuntimeError, match="not one API route"):
        install_forward_first(app, ["/missing/{path:path}"])


def test_the_gateway_knows_every_own_route_under_its_catch_alls() -> None:
    """Built from the app's routes: every own /v1 route's path (parameters filled in) is one the
    fast path leaves to the search, and a forwarded service path is not."""
    app = create_app()
    first = app.router.middleware_stack
    assert isinstance(first, ForwardFirst)
    assert first.own_paths is not None
    assert [route.path for route in first.routes] == [forwarding.PATH, forwarding.ONEROSTER_PATH]
    own = [
        c.path
        for c in iter_route_contexts(app.routes)
        if c.path and c.path.startswith("/v1/") and c.path != forwarding.PATH
    ]
    assert len(own) > 20
    for path in own:
        example = re.sub(r"\{[^}]+\}", "x-1", path)
        assert first.own_paths.match(example), path
    for forwarded in ("/v1/learners/x/profile", "/v1/attempts/a/responses/b", "/v1/skills"):
        assert first.own_paths.match(forwarded) is None, forwarded
    assert all(isinstance(route, APIRoute) for route in first.routes)
