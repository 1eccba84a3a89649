"""The gateway with its own database down: every route that needs it answers 503
``/problems/database-unavailable`` with ``Retry-After`` (never a 500), routes that do not need it
keep working, and the audit buffer keeps its entries (bounded) until the database is back.

Two real outages, each on a gateway of its own: ``refused`` points the gateway at PostgreSQL on a
port nobody listens on (asyncpg refuses every connection); ``gone`` starts it on a migrated SQLite
database and then replaces the database's directory by a file and drops the pooled connections, as
when a volume disappears under a running process. The upstream is a real HTTP server on a loopback
port that publishes two operations and counts the calls that reach it.
"""

import asyncio
import gc
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from pathwise_devstack.testing import RawUpstream, ServiceClient
from pathwise_gateway.app import create_app
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.events import new_event
from pathwise_shared.route_manifest import ROUTE_MANIFEST_PATH

# aiosqlite warns from a finalizer when sqlite3.connect() itself failed (the file cannot be
# opened): there is no connection to close, so the warning says nothing about our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*was deleted before being closed:ResourceWarning")


@pytest.fixture(autouse=True)
def _collect_failed_connections() -> Iterator[None]:
    # ... and collected here, under that filter, not during some later test.
    yield
    gc.collect()


DISTRICT = uuid.uuid4()
SYSTEM = Principal(subject="system:outbox-relay:assessment", kind="system")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Upstream(RawUpstream):
    """A pathways stand-in: ``GET /v1/skills`` and ``POST /v1/activities`` answer 200/201."""

    SPEC = {
        "openapi": "3.1.0",
        "info": {"title": "upstream", "version": "1"},
        "paths": {
            "/v1/skills": {"get": {
                "operationId": "listSkills", "responses": {"200": {"description": "ok"}},
                "x-pathwise-access": {"roles": ["teacher"], "scopes": [], "action": "read"},
            }},
            "/v1/activities": {"post": {
                "operationId": "createActivity", "responses": {"201": {"description": "ok"}},
                "x-pathwise-access": {"roles": ["teacher"], "scopes": [], "action": "write"},
            }},
        },
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await self.read_request(reader)
        if request.path in ("/openapi.json", ROUTE_MANIFEST_PATH):
            status, body = "200 OK", json.dumps(self.SPEC).encode()
        else:
            self.hits.append(f"{request.method} {request.path}")
            status = "201 Created" if request.method == "POST" else "200 OK"
            body = json.dumps({"id": str(uuid.uuid4()), "items": []}).encode()
        await self.respond(writer, status, body)


@dataclass
class Down:
    client: ServiceClient
    settings: GatewaySettings
    upstream: Upstream

    def bearer(self, principal: Principal) -> dict[str, str]:
        issued = issue_access_token(
            principal,
            key=self.settings.token_signing_key.get_secret_value(),
            issuer=self.settings.token_issuer,
            audience=self.settings.token_audience,
            ttl_seconds=300,
        )
        return {"Authorization": f"Bearer {issued.access_token}"}


def _settings(database_url: str, upstream: Upstream) -> GatewaySettings:
    closed = f"http://127.0.0.1:{_closed_port()}"
    return GatewaySettings(
        database_url=database_url,
        environment="test",
        profiles_url=closed,
        pathways_url=upstream.url,
        assessment_url=closed,
        rate_limit_token="1000/minute",
    )


def _sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'gateway.db'}"


@asynccontextmanager
async def _gateway_down(mode: str, tmp_path: Path) -> AsyncIterator[Down]:
    async with Upstream() as upstream:
        data = tmp_path / "gateway-data"
        if mode == "refused":
            settings = _settings(f"postgresql://postgres@127.0.0.1:{_closed_port()}/gw", upstream)
        else:
            settings = _settings(_sqlite_url(data), upstream)
            await asyncio.to_thread(MIGRATIONS.upgrade, settings.database_url)
        app = create_app(settings)
        secret = settings.internal_token_secret.get_secret_value()
        async with app.router.lifespan_context(app), ServiceClient(app, secret) as client:
            if mode == "gone":
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text  # it was up
                data.rename(tmp_path / "moved")
                data.write_text("not a directory any more")
                await app.state.db.engine.dispose()
            yield Down(client, settings, upstream)


def _user(*roles: str) -> Principal:
    uid = uuid.uuid4()
    return Principal(
        subject=str(uid), kind="user", district_id=DISTRICT, roles=frozenset(roles), user_id=uid
    )


def _client_principal(*scopes: str) -> Principal:
    return Principal(
        subject=f"client:{uuid.uuid4()}",
        kind="client",
        district_id=DISTRICT,
        scopes=frozenset(scopes),
    )


def assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["type"] == "https://pathwise.dev/problems/database-unavailable"
    assert response.json()["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("mode", ["refused", "gone"])
async def test_gateway_routes_that_need_its_database_answer_503(mode: str, tmp_path: Path) -> None:
    async with _gateway_down(mode, tmp_path) as down:
        gw = down.client
        teacher = down.bearer(_user("teacher"))

        # A keyed POST: the key cannot be recorded, so nothing is forwarded (no unkeyed write).
        keyed = await gw.post(
            "/v1/activities",
            json={"title": "x"},
            headers={**teacher, "Idempotency-Key": f"k-{uuid.uuid4()}"},
        )
        assert_database_unavailable(keyed)
        assert down.upstream.hits == []

        assert_database_unavailable(
            await gw.get("/v1/audit", headers=down.bearer(_user("district_admin")))
        )
        hooks = down.bearer(_client_principal("webhooks:manage"))
        assert_database_unavailable(await gw.get("/v1/webhooks", headers=hooks))
        assert_database_unavailable(await gw.get(f"/v1/webhooks/{uuid.uuid4()}", headers=hooks))
        token = await gw.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"},
        )
        assert_database_unavailable(token)
        event = new_event(
            "attempt.completed", district_id=DISTRICT, subject=f"learner/{uuid.uuid4()}", data={}
        )
        intake = await gw.post(
            "/internal/events",
            json={"events": [event.model_dump(mode="json")]},
            headers=gw.as_(SYSTEM),
        )
        assert_database_unavailable(intake)  # the relay keeps the event and retries
        assert_database_unavailable(await gw.get("/readyz"))

        # What does not need the gateway's own database still works: a read is forwarded.
        read = await gw.get("/v1/skills", headers=teacher)
        assert read.status_code == 200, read.text
        assert down.upstream.hits == ["GET /v1/skills"]
        assert (await gw.get("/healthz")).status_code == 200


async def test_audit_buffer_survives_an_outage_bounded_and_writes_later(tmp_path: Path) -> None:
    data = tmp_path / "audit-data"
    url = _sqlite_url(data)
    await asyncio.to_thread(MIGRATIONS.upgrade, url)
    db = Database(url)
    audit = AuditLog(db, flush_seconds=3600, max_entries=5)
    principal = _user("teacher")

    def record(first: int, n: int) -> None:
        for i in range(first, first + n):
            audit.record(
                principal,
                operation="getLearner",
                action="read",
                method="GET",
                path=f"/v1/learners/{i}",
                status=200,
                request_id=f"req-{i:04d}",
                learner_id=uuid.uuid4(),
            )

    try:
        data.rename(tmp_path / "moved")
        data.write_text("not a directory any more")
        await db.engine.dispose()
        record(0, 3)
        await audit.flush()  # must not raise: the entries are kept for later
        assert audit.pending == 3
        record(3, 4)  # past the bound: the newest are dropped and counted, the oldest kept
        await audit.flush()
        assert audit.pending == 5
        assert audit.dropped == 2

        data.unlink()
        (tmp_path / "moved").rename(data)
        await audit.flush()
        assert audit.pending == 0
        async with db.engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT request_id FROM audit_log ORDER BY request_id"
            )
            written = [row[0] for row in rows]
        # Every entry kept is written once; the two past the bound are the ones missing.
        assert written == ["req-0000", "req-0001", "req-0002", "req-0003", "req-0004"]
    finally:
        await db.dispose()
