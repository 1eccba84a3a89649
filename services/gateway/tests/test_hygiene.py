"""Limits and hygiene of the gateway, each on an app of its own with the setting under test:
rate limits (users, clients, the token endpoint), the body limit, CORS, the development login,
and what a slow or failing upstream turns into (504; 502 for an application error, which never
opens the breaker; 503 for an unavailable one, then 503 from the open breaker).

The slow or failing upstream is a fault injector on a loopback port: it publishes one operation
in its OpenAPI document (so the gateway routes to it) and then hangs or answers 500, counting
the calls that reach it. Behaviour of the real services is tested in ``tests/``.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from pathwise_devstack import testing
from pathwise_devstack.testing import ServiceClient, service_client
from pathwise_gateway.app import create_app
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.route_manifest import ROUTE_MANIFEST_PATH
from pathwise_shared.timeutil import ManualClock, use_clock

CLOSED = "http://127.0.0.1:9"
DISTRICT = uuid.uuid4()


def _settings(db: testing.TestDatabase, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "database_url": db.url,
        "environment": "test",
        "profiles_url": CLOSED,
        "pathways_url": CLOSED,
        "assessment_url": CLOSED,
    }
    values.update(overrides)
    return GatewaySettings(**values)


def _bearer(settings: GatewaySettings, principal: Principal) -> dict[str, str]:
    token = issue_access_token(
        principal,
        key=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=300,
    ).access_token
    return {"Authorization": f"Bearer {token}"}


def _teacher() -> Principal:
    uid = uuid.uuid4()
    return Principal(
        subject=str(uid), district_id=DISTRICT, roles=frozenset({"teacher"}), user_id=uid
    )


@asynccontextmanager
async def _gateway(settings: GatewaySettings) -> AsyncIterator[ServiceClient]:
    async with service_client(create_app, settings, MIGRATIONS) as client:
        yield client


def _assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]


# Limits below are per day, not per minute: the sliding-window counter floors the previous
# window's weighted count, so a run straddling a window boundary could let one extra call through.


async def test_user_rate_limit_headers_then_429(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db, rate_limit_user="3/day")
    headers = _bearer(settings, _teacher())
    async with _gateway(settings) as gw:
        remaining = []
        for _ in range(3):
            answer = await gw.get("/v1/auth/me", headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.headers["ratelimit-limit"] == "3"
            assert answer.headers["ratelimit-policy"] == "3;w=86400"
            remaining.append(int(answer.headers["ratelimit-remaining"]))
        assert remaining == [2, 1, 0]
        refused = await gw.get("/v1/auth/me", headers=headers)
        _assert_problem(refused, 429)
        assert 1 <= int(refused.headers["retry-after"]) <= 24 * 3600  # within the window
        # Another user has a budget of their own.
        assert (await gw.get("/v1/auth/me", headers=_bearer(settings, _teacher()))).is_success


async def test_client_rate_limit(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db, rate_limit_client="2/day")
    client = Principal(
        subject="sis", kind="client", district_id=DISTRICT, scopes=frozenset({"roster:read"})
    )
    headers = _bearer(settings, client)
    async with _gateway(settings) as gw:
        for _ in range(2):
            assert (await gw.get("/v1/auth/me", headers=headers)).status_code == 200
        refused = await gw.get("/v1/auth/me", headers=headers)
        _assert_problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1


async def test_token_endpoint_is_rate_limited(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db, rate_limit_token="3/day")
    async with _gateway(settings) as gw:
        guess = {"grant_type": "client_credentials", "client_id": "sis", "client_secret": "x"}
        for _ in range(3):
            assert (await gw.post("/v1/auth/token", data=guess)).status_code == 401
        refused = await gw.post("/v1/auth/token", data=guess)
        _assert_problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit-remaining"] == "0"
        # The budget is the address's, whatever client id it names (test_token_throttle.py).
        other = await gw.post("/v1/auth/token", data={**guess, "client_id": "other"})
        assert other.status_code == 429


async def test_body_limit_is_413(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db, max_body_bytes=1024)
    admin = Principal(
        subject=str(uuid.uuid4()), district_id=DISTRICT, roles=frozenset({"district_admin"})
    )
    headers = _bearer(settings, admin)
    big = {"name": "x" * 2000, "scopes": ["roster:read"]}
    async with _gateway(settings) as gw:
        declared = await gw.post("/v1/clients", json=big, headers=headers)
        _assert_problem(declared, 413)

        async def chunks() -> AsyncIterator[bytes]:
            body = json.dumps(big).encode()
            for start in range(0, len(body), 500):
                yield body[start : start + 500]

        streamed = await gw.post(
            "/v1/clients",
            content=chunks(),
            headers={**headers, "Content-Type": "application/json"},
        )
        _assert_problem(streamed, 413)
        # Nothing was half-written: the district still has no client.
        listed = await gw.get("/v1/clients", headers=headers)
        assert listed.json()["items"] == []


async def test_cors_allow_list(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db, cors_origins=["https://app.example"])
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    }
    async with _gateway(settings) as gw:
        allowed = await gw.options(
            "/v1/auth/me", headers={**preflight, "Origin": "https://app.example"}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        refused = await gw.options(
            "/v1/auth/me", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        simple = await gw.get("/healthz", headers={"Origin": "https://app.example"})
        assert simple.headers["access-control-allow-origin"] == "https://app.example"
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        other = await gw.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_development_login_off(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db, dev_login=False)
    async with _gateway(settings) as gw:
        answer = await gw.post(
            "/v1/auth/token", data={"grant_type": "password", "username": "teacher-01"}
        )
        assert answer.status_code == 400
        assert answer.json()["error"] == "unsupported_grant_type"


def test_development_login_is_refused_in_production() -> None:
    production: dict[str, Any] = {
        "environment": "production",
        "database_url": "postgresql://pathwise@db/gateway",
        "internal_token_secret": "i" * 40,
        "token_signing_key": "k" * 40,
        "tombstone_pepper": "p" * 40,
    }
    assert GatewaySettings(**production).dev_login_enabled is False
    with pytest.raises(ValidationError, match="DEV_LOGIN"):
        GatewaySettings(**production, dev_login=True)
    with pytest.raises(ValidationError, match="TOKEN_SIGNING_KEY"):
        GatewaySettings(**{**production, "token_signing_key": "short"})
    with pytest.raises(ValidationError, match="TOMBSTONE_PEPPER"):
        GatewaySettings(**{k: v for k, v in production.items() if k != "tombstone_pepper"})
    with pytest.raises(ValidationError, match="asymmetric"):
        GatewaySettings(idp_algorithms=["HS256"])


class FaultyUpstream(testing.RawUpstream):
    """Publishes ``GET /v1/skills`` (a pathways path), or ``spec``, and then answers by ``mode``:
    ``hang``; ``fail`` (an application 500); ``unavailable`` (503, its database is down);
    ``neighbour`` (503, a service *it* calls is down); ``ok`` (200). ``stop_listening()`` closes
    the port: connections are then refused."""

    SPEC: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "faulty", "version": "1"},
        "paths": {"/v1/skills": {"get": {
            "operationId": "listSkills", "responses": {"200": {"description": "ok"}},
            "x-pathwise-access": {"roles": ["teacher"], "scopes": [], "action": "read"},
        }}},
    }  # fmt: skip
    ANSWERS = {
        "fail": ("500 Internal Server Error", "application/json", {"detail": "boom"}),
        "unavailable": ("503 Service Unavailable", "application/problem+json", {
            "type": "https://pathwise.dev/problems/database-unavailable", "title": "Database Unavailable",
            "status": 503,
        }),
        "neighbour": ("503 Service Unavailable", "application/problem+json", {
            "type": "https://pathwise.dev/problems/service-unavailable", "title": "Service Unavailable",
            "status": 503, "detail": "The profiles service did not answer.",
        }),
        "ok": ("200 OK", "application/json", {"items": []}),
    }  # fmt: skip

    def __init__(self, mode: str, spec: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.mode = mode
        self.spec = spec or self.SPEC
        self.hits = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await self.read_request(reader)
        if request.path in ("/openapi.json", ROUTE_MANIFEST_PATH):
            status, kind, body = "200 OK", "application/json", json.dumps(self.spec).encode()
        else:
            self.hits += 1
            if self.mode == "hang":
                await asyncio.sleep(30)
            status, kind, answer = self.ANSWERS.get(self.mode, self.ANSWERS["fail"])
            body = json.dumps(answer).encode()
        await self.respond(writer, status, body, content_type=kind, headers={"Retry-After": "1"})


async def test_slow_upstream_is_504_never_a_hang(gateway_db: testing.TestDatabase) -> None:
    async with FaultyUpstream("hang") as upstream:
        settings = _settings(gateway_db, pathways_url=upstream.url, http_timeout_seconds=0.5)
        async with _gateway(settings) as gw:
            answer = await asyncio.wait_for(
                gw.get("/v1/skills", headers=_bearer(settings, _teacher())), timeout=10
            )
            _assert_problem(answer, 504)
            assert int(answer.headers["retry-after"]) >= 1
            assert upstream.hits == 1  # a read timeout is not retried: the call may have run


async def test_application_500s_do_not_open_the_breaker(gateway_db: testing.TestDatabase) -> None:
    """One request's bug (e.g. a unique violation) is that request's 502, not everyone's 503."""
    async with FaultyUpstream("fail") as upstream:
        settings = _settings(
            gateway_db, pathways_url=upstream.url, breaker_failures=2, breaker_reset_seconds=60
        )
        headers = _bearer(settings, _teacher())
        async with _gateway(settings) as gw:
            for _ in range(6):
                _assert_problem(await gw.get("/v1/skills", headers=headers), 502)
            assert upstream.hits == 6  # every one reached the service: the breaker stayed closed
            upstream.mode = "ok"
            answer = await gw.get("/v1/skills", headers=headers)
            assert answer.status_code == 200, answer.text  # other requests still pass


def _hear(caplog: pytest.LogCaptureFixture) -> None:
    """The gateway's own warnings from here on: its start-up set the root logger's handlers
    (``pathwise_shared.logging``), which took pytest's off."""
    caplog.clear()
    caplog.handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(caplog.handler)


@pytest.mark.parametrize("mode", ["unavailable", "unreachable"])
async def test_unavailable_upstream_opens_the_breaker(
    gateway_db: testing.TestDatabase, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A service whose database is down (503 about itself), or that refuses connections; the
    gateway's log says why each call counted and when the breaker opened."""
    async with FaultyUpstream("unavailable") as upstream:
        settings = _settings(
            gateway_db, pathways_url=upstream.url, breaker_failures=2, breaker_reset_seconds=60
        )
        headers = _bearer(settings, _teacher())
        async with _gateway(settings) as gw:
            _hear(caplog)
            if mode == "unreachable":
                # The routes are loaded at start-up; then the service stops listening.
                await upstream.stop_listening()
            for _ in range(2):
                failed = await gw.get("/v1/skills", headers=headers)
                _assert_problem(failed, 503)
                assert int(failed.headers["retry-after"]) >= 1
            hits = upstream.hits
            opened = await gw.get("/v1/skills", headers=headers)
            _assert_problem(opened, 503)
            assert 50 <= int(opened.headers["retry-after"]) <= 60  # the open breaker's answer
            assert upstream.hits == hits  # answered by the open breaker, not by the upstream
    said = [r.getMessage() for r in caplog.records if r.name == "pathwise.gateway.upstreams"]
    seen = "database-unavailable" if mode == "unavailable" else "Error"
    assert len(said) == 2, said  # one per counted call; the refused third is not a failure
    assert said[0].startswith("pathways unavailable: ") and seen in said[0]
    assert said[1].startswith("pathways: circuit breaker open (calls refused for 60 s) after: ")


async def test_a_neighbours_outage_passed_on_does_not_open_the_breaker(
    gateway_db: testing.TestDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    """A 503 the service relays from *its* upstream: the request fails, the service is up (and
    the gateway's log says whose 503 it passed on)."""
    async with FaultyUpstream("neighbour") as upstream:
        settings = _settings(
            gateway_db, pathways_url=upstream.url, breaker_failures=2, breaker_reset_seconds=60
        )
        headers = _bearer(settings, _teacher())
        async with _gateway(settings) as gw:
            _hear(caplog)
            for _ in range(3):  # one more than opens the breaker on unavailability
                before = upstream.hits
                answer = await gw.get("/v1/skills", headers=headers)
                _assert_problem(answer, 503)
                assert answer.headers["retry-after"] == "1"  # the service's own advice
                assert upstream.hits > before  # it reached the service: no breaker opened
    said = [r.getMessage() for r in caplog.records if r.name == "pathwise.gateway.upstreams"]
    assert (
        said
        == [
            "pathways answered 503 (https://pathwise.dev/problems/service-unavailable), passed on as 503"
        ]
        * 3
    )


async def test_access_check_500s_do_not_open_the_breaker(
    gateway_db: testing.TestDatabase,
) -> None:
    """The object-level check (profiles) failing with a 500 fails that call only."""
    pathway_spec = {
        "openapi": "3.1.0",
        "info": {"title": "faulty", "version": "1"},
        "paths": {"/v1/learners/{learner_id}/pathway": {"get": {
            "operationId": "getPathway", "responses": {"200": {"description": "ok"}},
            "x-pathwise-access": {"roles": ["teacher"], "scopes": [], "action": "read",
                                  "object": {"kind": "learner", "param": "learner_id"}},
        }}},
    }  # fmt: skip
    empty = {"openapi": "3.1.0", "info": {"title": "profiles", "version": "1"}, "paths": {}}
    async with (
        FaultyUpstream("ok", pathway_spec) as pathways,
        FaultyUpstream("fail", empty) as profiles,
    ):
        settings = _settings(
            gateway_db,
            pathways_url=pathways.url,
            profiles_url=profiles.url,
            breaker_failures=2,
            breaker_reset_seconds=60,
            access_cache_seconds=0,
        )
        headers = _bearer(settings, _teacher())
        async with _gateway(settings) as gw:
            for _ in range(5):
                answer = await gw.get(f"/v1/learners/{uuid.uuid4()}/pathway", headers=headers)
                _assert_problem(answer, 503)
            assert profiles.hits == 5  # each check reached profiles: no breaker opened
            assert pathways.hits == 0  # and nothing was forwarded unchecked


async def test_upstream_never_seen_is_503(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db)
    async with _gateway(settings) as gw:
        answer = await gw.get("/v1/skills", headers=_bearer(settings, _teacher()))
        _assert_problem(answer, 503)
        assert int(answer.headers["retry-after"]) >= 1


async def test_a_remembered_token_still_expires(gateway_db: testing.TestDatabase) -> None:
    """Verified tokens are remembered to save work, never past their expiry.

    A minute passes on the gateway's clock (timeutil), not in a sleep. The clock starts on a
    whole second because a JWT's ``exp`` is whole seconds: the edges below are then exact.
    """
    settings = _settings(gateway_db)
    async with _gateway(settings) as gw:
        start = datetime.now(UTC).replace(microsecond=0)
        with use_clock(ManualClock(start)) as clock:
            issued = issue_access_token(
                _teacher(),
                key=settings.token_signing_key.get_secret_value(),
                issuer=settings.token_issuer,
                audience=settings.token_audience,
                ttl_seconds=60,
            )
            headers = {"Authorization": f"Bearer {issued.access_token}"}
            assert (await gw.get("/v1/auth/me", headers=headers)).status_code == 200
            assert (await gw.get("/v1/auth/me", headers=headers)).status_code == 200  # cached
            clock.advance(59)
            assert (await gw.get("/v1/auth/me", headers=headers)).status_code == 200
            clock.advance(1)  # exactly ``exp``: no longer valid
            expired = await gw.get("/v1/auth/me", headers=headers)
        assert expired.status_code == 401
        assert 'error="invalid_token"' in expired.headers["www-authenticate"]
