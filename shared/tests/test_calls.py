"""Service-to-service calls: tokens attached, upstream problems kept, outages become 503."""

import uuid
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from pathwise_shared.auth import Principal, verify_internal_token
from pathwise_shared.calls import ServiceCaller, system_principal
from pathwise_shared.http import create_http_client
from pathwise_shared.problems import Problem, ServiceUnavailable

SECRET = "k" * 40


@pytest.fixture
async def upstream() -> AsyncIterator[str]:
    async def ok(request: web.Request) -> web.Response:
        principal = verify_internal_token(request.headers["Authorization"].split()[1], SECRET)
        return web.json_response({"subject": principal.subject})

    async def missing(_request: web.Request) -> web.Response:
        body = {
            "type": "https://pathwise.dev/problems/not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "No such learner.",
        }
        return web.json_response(body, status=404, content_type="application/problem+json")

    async def broken(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/missing", missing)
    app.router.add_get("/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_token_carries_the_principal(upstream: str) -> None:
    principal = Principal(
        subject="teacher-1", district_id=uuid.uuid4(), roles=frozenset({"teacher"})
    )
    async with create_http_client(upstream, retries=0) as client:
        caller = ServiceCaller("profiles", client, SECRET)
        assert await caller.json("GET", "/ok", principal) == {"subject": "teacher-1"}
        assert (await caller.json("GET", "/ok", system_principal("relay")))[
            "subject"
        ] == "system:relay"


async def test_upstream_problem_is_kept(upstream: str) -> None:
    async with create_http_client(upstream, retries=0) as client:
        caller = ServiceCaller("profiles", client, SECRET)
        with pytest.raises(Problem) as caught:
            await caller.json("GET", "/missing", system_principal("t"))
    assert caught.value.status_code == 404
    assert caught.value.type == "https://pathwise.dev/problems/not-found"
    assert caught.value.detail == "No such learner."


async def test_upstream_failure_and_outage_are_503(upstream: str) -> None:
    async with create_http_client(upstream, retries=0) as client:
        caller = ServiceCaller("profiles", client, SECRET)
        with pytest.raises(ServiceUnavailable):
            await caller.json("GET", "/broken", system_principal("t"))
    from pathwise_devstack.stack import free_port

    async with create_http_client(f"http://127.0.0.1:{free_port()}", retries=0) as client:
        caller = ServiceCaller("profiles", client, SECRET)
        with pytest.raises(ServiceUnavailable) as caught:
            await caller.json("GET", "/ok", system_principal("t"))
    assert caught.value.headers["Retry-After"] == "5"
