"""Per-route body limits and the streamed upload (``edge/domain/body_limits.py``), on an app of
its own with small limits, in front of a loopback stand-in for profiles that publishes the roster
upload and a normal route and records what reaches it (every byte, counted and hashed, and
whether it came chunked, i.e. passed on as it arrived rather than read whole first).

The upload through the real gateway to the real profiles service, at 50 MB and with the
gateway's memory measured, is ``tests/test_large_roster_upload.py``.
"""

import asyncio
import hashlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from pathwise_devstack import testing
from pathwise_devstack.testing import RawUpstream, ServiceClient, service_client
from pathwise_gateway.app import create_app
from pathwise_gateway.edge.domain.body_limits import body_limit, is_streamed
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.route_manifest import ROUTE_MANIFEST_PATH

CLOSED = "http://127.0.0.1:9"
SMALL = 2048
UPLOAD = 256 * 1024
WRITE = {"roles": ["district_admin"], "scopes": ["roster:write"], "action": "write"}
SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "profiles", "version": "1"},
    "paths": {
        "/v1/roster/imports": {"post": {
            "operationId": "upload", "responses": {"202": {"description": "ok"}},
            "x-pathwise-access": WRITE,
        }},
        "/v1/roster/imports/folder": {"post": {
            "operationId": "folder", "responses": {"202": {"description": "ok"}},
            "x-pathwise-access": WRITE,
        }},
    },
}  # fmt: skip


@dataclass
class Received:
    path: str
    size: int
    sha256: str
    chunked: bool
    headers: dict[str, str] = field(default_factory=dict)


class RecordingUpstream(RawUpstream):
    """Reads each request's body (Content-Length or chunked), records it, answers 202 JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Received] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await self.read_request(reader)
        if request.path in ("/openapi.json", ROUTE_MANIFEST_PATH):
            await self.respond(writer, "200 OK", json.dumps(SPEC).encode())
            return
        body = request.body
        received = Received(
            request.path,
            len(body),
            hashlib.sha256(body).hexdigest(),
            request.chunked,
            request.headers,
        )
        self.calls.append(received)
        answer = {"size": received.size, "sha256": received.sha256}
        await self.respond(writer, "202 Accepted", json.dumps(answer).encode())


@asynccontextmanager
async def _stack(
    db: testing.TestDatabase, **overrides: Any
) -> AsyncIterator[tuple[ServiceClient, RecordingUpstream, dict[str, str]]]:
    async with RecordingUpstream() as upstream:
        values: dict[str, Any] = {
            "database_url": db.url,
            "environment": "test",
            "profiles_url": upstream.url,
            "pathways_url": CLOSED,
            "assessment_url": CLOSED,
            "max_body_bytes": SMALL,
            "max_upload_bytes": UPLOAD,
        }
        settings = GatewaySettings(**{**values, **overrides})
        admin = Principal(
            subject=str(uuid.uuid4()),
            district_id=uuid.uuid4(),
            roles=frozenset({"district_admin"}),
        )
        token = issue_access_token(
            admin,
            key=settings.token_signing_key.get_secret_value(),
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            ttl_seconds=300,
        ).access_token
        async with service_client(create_app, settings, MIGRATIONS) as gw:
            yield gw, upstream, {"Authorization": f"Bearer {token}"}


def _assert_413(answer: httpx.Response) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("https://pathwise.dev/problems/body-too-large")


class Chunks:
    """A body sent chunked (no Content-Length), counting how much of it the gateway pulled."""

    def __init__(self, body: bytes, size: int = 16 * 1024) -> None:
        self.body = body
        self.size = size
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), self.size):
            self.pulled += 1
            yield self.body[start : start + self.size]


def test_only_the_upload_route_has_the_large_limit() -> None:
    assert is_streamed("POST", "/v1/roster/imports")
    assert body_limit("POST", "/v1/roster/imports", default=1, upload=9, portfolio=5) == 9
    portfolio = f"/v1/learners/{uuid.uuid4()}/portfolio"
    assert is_streamed("POST", portfolio)
    assert body_limit("POST", portfolio, default=1, upload=9, portfolio=5) == 5
    for method, path in [
        ("PUT", "/v1/roster/imports"),
        ("POST", "/v1/roster/imports/folder"),
        ("POST", "/v1/roster/imports/"),
        ("POST", "/v1/clients"),
        ("GET", portfolio),
        ("POST", portfolio + "/x/feedback"),
        ("POST", "/v1/learners/a/b/portfolio"),
    ]:
        assert not is_streamed(method, path)
        assert body_limit(method, path, default=1, upload=9, portfolio=5) == 1


def test_the_upload_limit_defaults_to_a_gibibyte() -> None:
    assert GatewaySettings().max_upload_bytes >= 1024**3
    assert GatewaySettings().max_body_bytes == 1024**2


async def test_an_upload_past_the_small_limit_is_streamed_through(
    gateway_db: testing.TestDatabase,
) -> None:
    body = os.urandom(UPLOAD - 1024)
    async with _stack(gateway_db) as (gw, upstream, admin):
        headers = {**admin, "Content-Type": "application/zip"}
        declared = await gw.post("/v1/roster/imports", content=body, headers=headers)
        assert declared.status_code == 202, declared.text
        chunked = await gw.post("/v1/roster/imports", content=Chunks(body), headers=headers)
        assert chunked.status_code == 202, chunked.text
    digest = hashlib.sha256(body).hexdigest()
    assert declared.json() == chunked.json() == {"size": len(body), "sha256": digest}
    assert [c.path for c in upstream.calls] == ["/v1/roster/imports"] * 2
    # Passed on as it arrived: chunked to the service even when the caller declared a length.
    assert all(c.chunked for c in upstream.calls)


class Recorded(logging.Handler):
    """On the logger itself: the app's logging set-up replaces the root's handlers (pytest's)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_an_upload_past_its_limit_is_413(gateway_db: testing.TestDatabase) -> None:
    body = os.urandom(UPLOAD + 1)
    errors = Recorded()
    logging.getLogger("pathwise").addHandler(errors)
    try:
        # One failure would open the breaker: a caller's oversized body must not count.
        async with _stack(gateway_db, breaker_failures=1) as (gw, upstream, admin):
            headers = {**admin, "Content-Type": "application/zip"}
            _assert_413(await gw.post("/v1/roster/imports", content=body, headers=headers))
            assert upstream.calls == []  # refused on its Content-Length: nothing forwarded
            _assert_413(await gw.post("/v1/roster/imports", content=Chunks(body), headers=headers))
            # The service saw at most a cut-off body, and is still reachable (no breaker opened).
            assert all(c.size <= UPLOAD for c in upstream.calls)
            ok = await gw.post("/v1/roster/imports", content=b"PK", headers=headers)
            assert ok.status_code == 202, ok.text
    finally:
        logging.getLogger("pathwise").removeHandler(errors)
    # The caller's body, not a fault of ours: nothing logged as an unhandled error.
    assert [r.getMessage() for r in errors.records] == []


async def test_other_routes_keep_the_small_limit(gateway_db: testing.TestDatabase) -> None:
    body = json.dumps({"path": "x" * (SMALL + 1)}).encode()
    async with _stack(gateway_db) as (gw, upstream, admin):
        headers = {**admin, "Content-Type": "application/json"}
        for path in ("/v1/roster/imports/folder", "/v1/clients"):
            _assert_413(await gw.post(path, content=body, headers=headers))
            _assert_413(await gw.post(path, content=Chunks(body, 512), headers=headers))
        small = await gw.post(
            "/v1/roster/imports/folder", json={"path": "district"}, headers=headers
        )
        assert small.status_code == 202, small.text
    # Read whole before forwarding, as before: sent with its length, not chunked.
    assert [(c.path, c.chunked) for c in upstream.calls] == [("/v1/roster/imports/folder", False)]


async def test_an_upload_is_authenticated_before_its_body_is_read(
    gateway_db: testing.TestDatabase,
) -> None:
    body = Chunks(os.urandom(UPLOAD // 2))
    async with _stack(gateway_db) as (gw, upstream, _):
        answer = await gw.post(
            "/v1/roster/imports", content=body, headers={"Content-Type": "application/zip"}
        )
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert body.pulled <= 1  # the transport may hand the app its first chunk; no more
    assert upstream.calls == []


async def test_an_upload_s_idempotency_key_goes_to_the_service(
    gateway_db: testing.TestDatabase,
) -> None:
    """The gateway does not fingerprint a streamed body (it would need all of it first): the key
    is the service's to honour, on what the body carries (profiles: the zip and the options)."""
    key = f"upload-{uuid.uuid4()}"
    async with _stack(gateway_db) as (gw, upstream, admin):
        headers = {**admin, "Content-Type": "application/zip", "Idempotency-Key": key}
        first = await gw.post("/v1/roster/imports", content=b"one zip", headers=headers)
        other = await gw.post("/v1/roster/imports", content=b"another zip", headers=headers)
    assert first.status_code == other.status_code == 202
    assert "idempotent-replayed" not in other.headers  # not replayed by the gateway
    assert [c.headers.get("idempotency-key") for c in upstream.calls] == [key, key]
    assert [c.size for c in upstream.calls] == [7, 11]
