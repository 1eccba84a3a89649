"""Downloads pass through the gateway as the service sends them (``proxy/service/forward.py``,
``proxy/api/forwarding.py``), on an app of its own in front of a loopback stand-in for profiles
that publishes a file download and a JSON route. The stand-in sends the first half of the file,
then holds the rest until the test lets it go (or notices the gateway hung up).

The gateway app is called as ASGI directly, message by message: an HTTP client would hand over
the response only once it is whole (httpx's ASGI transport does), and what is tested here is when
the bytes leave the gateway. A gateway that read the whole answer first would send nothing until
the stand-in is released: the first test would time out waiting for the first half.

The whole file through the real gateway in front of the real pathways service (several MB, byte
for byte, with the gateway's memory observed) is ``tests/test_portfolio.py``.
"""

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI

from pathwise_devstack import testing
from pathwise_devstack.testing import RawUpstream, service_client
from pathwise_gateway.app import create_app
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.proxy.service.forward import streams_answer
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.route_manifest import ROUTE_MANIFEST_PATH

CLOSED = "http://127.0.0.1:9"
SIZE = 2 * 1024 * 1024
HALF = SIZE // 2
FILE = os.urandom(SIZE)
READ = {"roles": ["district_admin"], "scopes": [], "action": "read"}
SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "profiles", "version": "1"},
    "paths": {
        "/v1/exports/file": {"get": {
            "operationId": "file", "responses": {"200": {"description": "ok"}},
            "x-pathwise-access": READ,
        }},
        "/v1/exports/summary": {"get": {
            "operationId": "summary", "responses": {"200": {"description": "ok"}},
            "x-pathwise-access": READ,
        }},
    },
}  # fmt: skip
DISPOSITION = 'attachment; filename="report.pdf"'
WAIT = 10.0


class HeldUpstream(RawUpstream):
    """Sends the file's head and first half, then holds the rest until ``release`` is set; sets
    ``gateway_left`` if the gateway closes the connection meanwhile. With ``cut``, it closes
    the connection itself after the first half (a service failing half-way)."""

    def __init__(self, *, cut: bool = False) -> None:
        super().__init__()
        self.cut = cut
        self.release = asyncio.Event()
        self.first_half_sent = asyncio.Event()
        self.gateway_left = asyncio.Event()
        self.finished = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await self.read_request(reader)
        if request.path in ("/openapi.json", ROUTE_MANIFEST_PATH):
            await self.respond(writer, "200 OK", json.dumps(SPEC).encode())
            return
        if request.path == "/v1/exports/summary":
            await self.respond(writer, "200 OK", json.dumps({"rows": 3}).encode())
            return
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
            f"Content-Length: {SIZE}\r\nContent-Disposition: {DISPOSITION}\r\n"
            "Content-Security-Policy: sandbox; default-src 'none'\r\n"
            "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + FILE[:HALF])
        await writer.drain()
        self.first_half_sent.set()
        if self.cut:
            writer.close()
            return
        hung_up = asyncio.ensure_future(reader.read(1))  # b"" once the gateway closes
        released = asyncio.ensure_future(self.release.wait())
        done, _ = await asyncio.wait((hung_up, released), return_when=asyncio.FIRST_COMPLETED)
        hung_up.cancel()
        released.cancel()
        if hung_up in done:
            self.gateway_left.set()
            return
        writer.write(FILE[HALF:])
        await writer.drain()
        self.finished.set()


@asynccontextmanager
async def _gateway(
    db: testing.TestDatabase, upstream: HeldUpstream, transport: str
) -> AsyncIterator[tuple[FastAPI, str]]:
    settings = GatewaySettings(
        database_url=db.url,
        environment="test",
        profiles_url=upstream.url,
        pathways_url=CLOSED,
        assessment_url=CLOSED,
        upstream_transport=transport,
        http_timeout_seconds=30.0,  # a held upstream must not time out under the test's nose
    )
    admin = Principal(
        subject=str(uuid.uuid4()), district_id=uuid.uuid4(), roles=frozenset({"district_admin"})
    )
    token = issue_access_token(
        admin,
        key=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=300,
    ).access_token
    async with service_client(create_app, settings, MIGRATIONS) as gw:
        yield gw.app, token


class Call:
    """One ASGI request to the app, its messages queued as the app sends them."""

    def __init__(self, app: FastAPI, token: str, path: str) -> None:
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.hang_up = asyncio.Event()
        self._requested = False
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"gateway"), (b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 50000), "server": ("gateway", 80),
        }  # fmt: skip
        self.task = asyncio.ensure_future(app(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.hang_up.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        await self.messages.put(dict(message))

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.messages.get(), WAIT)

    async def body_until(self, done: Callable[[bytes], bool]) -> tuple[bytes, bool]:
        """Body bytes until ``done`` says so or the body ends; whether it ended."""
        got = b""
        while True:
            message = await self.next()
            assert message["type"] == "http.response.body"
            got += message.get("body", b"")
            if not message.get("more_body", False):
                return got, True
            if done(got):
                return got, False


async def _within(event: asyncio.Event | Awaitable[Any]) -> None:
    waited = event.wait() if isinstance(event, asyncio.Event) else event
    await asyncio.wait_for(waited, WAIT)


def test_only_successful_non_json_answers_stream() -> None:
    assert streams_answer("GET", 200, {"content-type": "application/pdf"})
    assert streams_answer("GET", 200, {"content-type": "application/vc+jwt"})
    assert streams_answer("GET", 200, {"content-type": "image/png"})
    for method, status, content_type in [
        ("GET", 200, "application/json"),
        ("GET", 200, "application/json; charset=utf-8"),
        ("GET", 200, "application/ld+json"),
        ("GET", 404, "application/problem+json"),
        ("GET", 404, "text/plain"),
        ("GET", 204, "application/pdf"),
        ("HEAD", 200, "application/pdf"),
        ("GET", 200, ""),
    ]:
        assert not streams_answer(method, status, {"content-type": content_type})


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_a_download_leaves_the_gateway_before_the_service_has_sent_it_all(
    gateway_db: testing.TestDatabase, transport: str
) -> None:
    async with HeldUpstream() as upstream, _gateway(gateway_db, upstream, transport) as (app, t):
        call = Call(app, t, "/v1/exports/file")
        start = await call.next()
        assert start["type"] == "http.response.start" and start["status"] == 200
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        assert headers["content-length"] == str(SIZE)
        assert headers["content-type"] == "application/pdf"
        assert headers["content-disposition"] == DISPOSITION
        assert headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in headers["content-security-policy"]
        # The first half reaches the caller while the service still holds the second.
        first, ended = await call.body_until(lambda got: len(got) >= HALF)
        assert not ended and first == FILE[:HALF]
        assert not upstream.finished.is_set()
        upstream.release.set()
        rest, ended = await call.body_until(lambda _: False)
        await _within(call.task)
    assert ended and hashlib.sha256(first + rest).digest() == hashlib.sha256(FILE).digest()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_a_caller_who_leaves_frees_the_service_s_connection(
    gateway_db: testing.TestDatabase, transport: str
) -> None:
    async with HeldUpstream() as upstream, _gateway(gateway_db, upstream, transport) as (app, t):
        call = Call(app, t, "/v1/exports/file")
        assert (await call.next())["type"] == "http.response.start"
        await call.body_until(lambda got: len(got) > 0)
        call.hang_up.set()
        # The gateway closes its connection to the service at once: the rest is never asked
        # for, and the service is not kept waiting for a reader that is gone.
        await _within(upstream.gateway_left)
        await _within(call.task)
        assert call.task.exception() is None
        assert not upstream.finished.is_set()


async def test_a_service_failing_half_way_cuts_the_download_short(
    gateway_db: testing.TestDatabase,
) -> None:
    async with (
        HeldUpstream(cut=True) as upstream,
        _gateway(gateway_db, upstream, "aiohttp") as (app, t),
    ):
        call = Call(app, t, "/v1/exports/file")
        assert (await call.next())["type"] == "http.response.start"
        with pytest.raises(Exception):  # noqa: B017, PT011 (the client library's own error)
            await asyncio.wait_for(call.task, WAIT)
        sent = []
        while not call.messages.empty():
            sent.append(call.messages.get_nowait())
    # Never a finished body: the server cuts the connection, the caller sees it cut.
    assert all(m.get("more_body", False) for m in sent)
    assert sum(len(m.get("body", b"")) for m in sent) <= HALF


async def test_json_answers_are_still_read_whole(gateway_db: testing.TestDatabase) -> None:
    async with HeldUpstream() as upstream, _gateway(gateway_db, upstream, "aiohttp") as (app, t):
        call = Call(app, t, "/v1/exports/summary")
        start = await call.next()
        body = await call.next()
        await _within(call.task)
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    assert headers["content-type"] == "application/json"
    # One message with the whole body and its length: the plain response, not a stream.
    assert json.loads(body["body"]) == {"rows": 3} and not body.get("more_body", False)
    assert headers["content-length"] == str(len(body["body"]))
