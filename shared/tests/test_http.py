"""The service HTTP client retries idempotent calls only, and carries the request id."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from pathwise_shared.http import create_http_client


@pytest.fixture
async def flaky_server() -> AsyncIterator[tuple[str, dict[str, int], list[str]]]:
    """A real loopback server answering 503 twice per path, then 200; it records request ids."""
    calls: dict[str, int] = {}
    request_ids: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        key = f"{request.method} {request.path}"
        calls[key] = calls.get(key, 0) + 1
        request_ids.append(request.headers.get("X-Request-ID", ""))
        if calls[key] <= 2:
            return web.Response(status=503)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", calls, request_ids
    finally:
        await runner.cleanup()


async def test_get_is_retried_until_success(flaky_server) -> None:
    base, calls, _ = flaky_server
    async with create_http_client(base, retries=3) as client:
        response = await client.get("/learners")
    assert response.status_code == 200
    assert calls["GET /learners"] == 3


async def test_post_is_never_retried(flaky_server) -> None:
    base, calls, _ = flaky_server
    async with create_http_client(base, retries=3) as client:
        response = await client.post("/learners", json={})
    assert response.status_code == 503
    assert calls["POST /learners"] == 1


async def test_request_id_travels(flaky_server) -> None:
    from asgi_correlation_id import correlation_id

    base, _, request_ids = flaky_server
    token = correlation_id.set("req-12345678")
    try:
        async with create_http_client(base, retries=0) as client:
            await client.get("/x")
    finally:
        correlation_id.reset(token)
    assert request_ids == ["req-12345678"]


async def test_connection_refused_is_an_httpx_error() -> None:
    import httpx

    from pathwise_devstack.stack import free_port

    async with create_http_client(f"http://127.0.0.1:{free_port()}", retries=1) as client:
        with pytest.raises(httpx.TransportError):
            await client.get("/x")
