"""The security headers middleware: on a service app (create_service_app) and on its own."""

import httpx
import pytest
from fastapi import FastAPI, Response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pathwise_shared.app import create_service_app
from pathwise_shared.security_headers import API_CSP, HSTS, SecurityHeadersMiddleware
from pathwise_shared.settings import ServiceSettings


def _service() -> FastAPI:
    app = create_service_app(ServiceSettings(service_name="demo"), title="t", description="d")

    @app.get("/v1/things")
    async def things() -> dict[str, str]:
        return {"learner": "data"}

    @app.get("/v1/crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    return app


async def test_service_answers_carry_the_headers() -> None:
    transport = httpx.ASGITransport(app=_service(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
        for path, status in [("/v1/things", 200), ("/v1/nothing", 404), ("/v1/crash", 500),
                             ("/healthz", 200), ("/docs", 200)]:  # fmt: skip
            answer = await client.get(path)
            assert answer.status_code == status, path
            assert answer.headers["x-content-type-options"] == "nosniff", path
            assert answer.headers["referrer-policy"] == "no-referrer", path
            assert answer.headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
            assert "strict-transport-security" not in answer.headers
            expected = "no-store" if path.startswith("/v1/") else None
            assert answer.headers.get("cache-control") == expected, path


def _bare(cache_control: str | None, *, hsts: bool = False) -> httpx.AsyncClient:
    async def endpoint(request: Request) -> Response:
        headers = {"X-Content-Type-Options": "sniff-away", "Content-Security-Policy": "x"}
        if cache_control is not None:
            headers["Cache-Control"] = cache_control
        return PlainTextResponse("ok", headers=headers)

    app = Starlette(
        routes=[
            Route("/v1/x", endpoint),
            Route("/ims/oneroster/rostering/v1p2/users", endpoint),
            Route("/other", endpoint),
        ]
    )
    wrapped = SecurityHeadersMiddleware(app, hsts=hsts)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://s")


@pytest.mark.parametrize(
    ("upstream", "expected"),
    [
        (None, "no-store"),
        ("max-age=3600, public", "no-store"),
        ("no-cache", "no-store"),
        ("private, no-store, max-age=0", "private, no-store, max-age=0"),  # stricter: kept
        ("No-Store", "No-Store"),
    ],
)
async def test_v1_cache_control(upstream: str | None, expected: str) -> None:
    async with _bare(upstream) as client:
        answer = await client.get("/v1/x")
        assert answer.headers.get_list("cache-control") == [expected]
        # Ours replace the upstream's: one of each, never doubled.
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
        assert answer.headers.get_list("content-security-policy") == [API_CSP]
        other = await client.get("/other")
        assert other.headers.get("cache-control") == upstream
        # The OneRoster API's answers are rosters: never cached either.
        roster = await client.get("/ims/oneroster/rostering/v1p2/users")
        assert roster.headers.get_list("cache-control") == [expected]


async def test_hsts_only_when_asked() -> None:
    async with _bare(None, hsts=True) as client:
        assert (await client.get("/other")).headers["strict-transport-security"] == HSTS
    async with _bare(None) as client:
        assert "strict-transport-security" not in (await client.get("/other")).headers


async def test_production_service_sends_hsts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_ENV", "production")
    monkeypatch.setenv("PATHWISE_INTERNAL_TOKEN_SECRET", "x" * 48)
    settings = ServiceSettings(service_name="demo", database_url="postgresql://db/p")
    app = create_service_app(settings, title="t", description="d")
    # No lifespan: the database is never reached; /healthz answers without it.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        answer = await c.get("/healthz")
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"] == HSTS
