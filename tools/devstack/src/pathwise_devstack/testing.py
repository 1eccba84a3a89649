"""Test support: throwaway databases (SQLite or PostgreSQL) and in-process service clients.

``PATHWISE_TEST_DATABASE=postgresql`` switches every test database to PostgreSQL; each test run
creates its own databases on ``PATHWISE_TEST_PG_URL`` (default: the local server, trust auth) and
drops them afterwards. Nothing here fakes a service: in-process clients run the real app, with its
real lifespan and a real database, over ASGI. The pytest fixtures built from these (one
database per scope, one app per service) are in ``pathwise_devstack.fixtures``: this module stays
free of pytest, for the benchmarks that start stacks too.
"""

import asyncio
import importlib
import os
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import asyncpg
import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.engine import make_url

# The demo bank's answer key, one definition (the live seed answers with it too).
from pathwise_assessment.seed import check_id, item_id, right_answer, wrong_answer
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.seed import seed_demo, seed_demo_live, seed_second_district
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack, StackConfig, free_ports
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_gateway.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DISTRICT_B_CLIENT_ID,
    DISTRICT_B_CLIENT_SECRET,
)
from pathwise_gateway.settings import GatewaySettings
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_profiles.seed_lakeside import DISTRICT_B, DISTRICT_B_USERS
from pathwise_shared.auth import Principal, PrincipalKind, issue_internal_token
from pathwise_shared.db.migrations import MigrationSpec
from pathwise_shared.settings import DEV_INTERNAL_TOKEN_SECRET

__all__ = [
    "CALLER_ROLES",
    "DEMO_DISTRICT_LOGINS",
    "SECOND_DISTRICT",
    "TEST_SECRET",
    "DistrictLogins",
    "RawRequest",
    "RawUpstream",
    "ServiceClient",
    "TestDatabase",
    "api_routes",
    "backend",
    "bearer",
    "client_login",
    "counted_statements",
    "create_test_database",
    "dev_login",
    "drop_test_database",
    "gateway_token",
    "gateway_with_hub",
    "login_as",
    "make_principal",
    "png",
    "right_answer",
    "scratch_database",
    "service_apps",
    "service_client",
    "settings_beside",
    "start_stack",
    "take_check",
    "wrong_answer",
]

TEST_SECRET = DEV_INTERNAL_TOKEN_SECRET
_PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class DistrictLogins:
    """How to act as each kind of caller of a seeded district through the real gateway: a
    development-login username per user role, and an integration client's credentials."""

    district_id: uuid.UUID
    users: Mapping[str, str]
    client_id: str
    client_secret: str


DEMO_DISTRICT_LOGINS = DistrictLogins(
    district_id=DEMO_DISTRICT,
    users={
        "student": "learner-01",
        "guardian": "guardian-01",
        "teacher": "teacher-01",
        "school_admin": "admin-riverside-elementary",
        "district_admin": "admin-district",
    },
    client_id=DEMO_CLIENT_ID,
    client_secret=DEMO_CLIENT_SECRET,
)
# District B (``start_stack(second_district=True)``).
SECOND_DISTRICT = DistrictLogins(
    district_id=DISTRICT_B,
    users=DISTRICT_B_USERS,
    client_id=DISTRICT_B_CLIENT_ID,
    client_secret=DISTRICT_B_CLIENT_SECRET,
)


def backend() -> str:
    value = os.environ.get("PATHWISE_TEST_DATABASE", "sqlite").lower()
    if value not in {"sqlite", "postgresql"}:
        raise ValueError(f"PATHWISE_TEST_DATABASE must be sqlite or postgresql, not {value!r}")
    return value


def _pg_admin_url() -> str:
    return os.environ.get("PATHWISE_TEST_PG_URL", _PG_DEFAULT)


async def _pg_admin(sql: str) -> None:
    url = make_url(_pg_admin_url())
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database or "postgres",
    )  # fmt: skip
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@dataclass(frozen=True)
class TestDatabase:
    url: str
    pg_name: str | None = None


def create_test_database(service: str, directory: Path) -> TestDatabase:
    if backend() == "sqlite":
        return TestDatabase(url=f"sqlite:///{directory / f'{service}.db'}")
    name = f"pw_test_{service}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    return TestDatabase(url=url, pg_name=name)


def drop_test_database(db: TestDatabase) -> None:
    if db.pg_name:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{db.pg_name}" WITH (FORCE)'))


@contextmanager
def scratch_database(prefix: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database of the suite's backend for one test, dropped after it."""
    made = create_test_database(f"{prefix}_{uuid.uuid4().hex[:6]}", directory)
    try:
        yield made.url
    finally:
        drop_test_database(made)


def service_apps() -> dict[str, Callable[[], FastAPI]]:
    """Each service's app factory, by service name (imported when asked: most tests need none)."""
    return {
        spec.name: importlib.import_module(f"{spec.package}.app").create_app for spec in SERVICES
    }


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """An app's operations in the order Starlette tries them, included routers unfolded (FastAPI
    keeps them as nested routers)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def make_principal(
    district_id: uuid.UUID | None = None,
    *,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    kind: PrincipalKind = "user",
    user_id: uuid.UUID | None = None,
    subject: str | None = None,
) -> Principal:
    uid = user_id or (uuid.uuid4() if kind == "user" else None)
    return Principal(
        subject=subject or str(uid or "system"),
        kind=kind,
        district_id=district_id,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        user_id=uid,
    )


@contextmanager
def counted_statements(client: "ServiceClient") -> Iterator[list[str]]:
    """The SQL statements ``client``'s app sends while the block runs, its outbox relay's polls
    and SQLite's ``BEGIN`` (a local call that opens a read snapshot, no round trip; PostgreSQL's
    goes through the driver's transaction API and is not seen here either) left out: what the
    statement-count tests of the hot paths assert on."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "outbox" not in statement and not statement.startswith("BEGIN"):
            statements.append(statement)

    engine = client.app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


class ServiceClient(httpx.AsyncClient):
    """An httpx client bound to one app, able to act as any principal (``headers=client.as_(p)``)."""

    def __init__(self, app: FastAPI, secret: str, **kwargs: Any) -> None:
        super().__init__(
            transport=httpx.ASGITransport(app=app), base_url="http://service", **kwargs
        )
        self.app = app
        self.secret = secret

    def as_(self, principal: Principal) -> dict[str, str]:
        """Headers that make a request come from ``principal``."""
        return {"Authorization": f"Bearer {issue_internal_token(principal, self.secret)}"}


@asynccontextmanager
async def service_client(
    create_app: Callable[..., FastAPI],
    settings: Any,
    migrations: MigrationSpec,
) -> AsyncIterator[ServiceClient]:
    """Migrate the settings' database to head, run the app's lifespan, and yield a client."""
    await asyncio.to_thread(migrations.upgrade, settings.database_url)
    app = create_app(settings)
    secret = settings.internal_token_secret.get_secret_value()
    async with app.router.lifespan_context(app), ServiceClient(app, secret) as client:
        yield client


# Stacks in tests keep few idle connections: a service's default pool holds up to twenty open
# for good, so two stacks and the in-process apps of a PostgreSQL run passed the server's 100
# ("too many clients already"). Bursts still get twenty, the overflow closing when returned.
TEST_POOL = {"PATHWISE_DB_POOL_SIZE": "4", "PATHWISE_DB_MAX_OVERFLOW": "16"}


@contextmanager
def start_stack(
    directory: Path,
    *,
    seed: bool = True,
    env: Mapping[str, str] | None = None,
    receiver: bool = False,
    second_district: bool = False,
) -> Iterator[Stack]:
    """The four services as real uvicorn processes on free loopback ports, on fresh databases.

    Migrates, seeds the demo district of ``make run`` (unless ``seed=False``), starts, waits for
    readiness; stops everything and drops the databases afterwards. ``env`` goes to every process.
    With ``receiver``, the demo webhook receiver of ``make run`` runs too (``stack.config.url(
    "receiver")``) and the seeded demo integration client's endpoint delivers to it. With
    ``second_district``, the small district B (``SECOND_DISTRICT``: one user of each role, a
    class, a learner with a profile, an integration client) is seeded as well.
    """
    databases = {spec.name: create_test_database(spec.name, directory) for spec in SERVICES}
    *ports, receiver_port = free_ports(len(SERVICES) + 1)
    config = StackConfig(
        ports={spec.name: port for spec, port in zip(SERVICES, ports, strict=True)},
        database_urls={name: db.url for name, db in databases.items()},
        env={
            "PATHWISE_ENV": "test",
            "PATHWISE_LOG_LEVEL": "WARNING",
            # Portfolio files of this stack stay in its own directory (removed with it).
            "PATHWAYS_STORAGE_DIR": str(directory / "portfolio"),
            # And message attachments (profiles).
            "PROFILES_STORAGE_DIR": str(directory / "messages"),
            # And the gateway's learner exports.
            "GATEWAY_EXPORTS_STORAGE_DIR": str(directory / "exports"),
            **TEST_POOL,
            **(env or {}),
        },
        receiver_port=receiver_port if receiver else None,
    )
    running = Stack(config, log_dir=str(directory / "logs"))
    try:
        running.migrate()
        if seed:
            seed_demo(config)
        if second_district:
            seed_second_district(config)
        running.start()
        running.wait_ready(timeout=90)
        if seed:
            lines = seed_demo_live(config, TEST_SECRET)
            # A test on a half-seeded district fails far from the cause: say it here.
            failed = [line for line in lines if "failed" in line]
            if failed:
                raise RuntimeError("the demo seed failed: " + "; ".join(failed))
        yield running
    finally:
        running.stop()
        for db in databases.values():
            drop_test_database(db)


def take_check(
    gw: httpx.Client,
    code: str,
    learner_id: uuid.UUID,
    headers: Mapping[str, str],
    answer: Callable[[dict[str, Any]], dict[str, Any]] = right_answer,
) -> dict[str, Any]:
    """One attempt at the demo skill check of ``code`` through the gateway, as ``headers``:
    started for the learner, every item shown answered with ``answer(spec)`` (``right_answer``,
    ``wrong_answer``), finished; the finished attempt."""
    keys = {item_id(code, n): raw["spec"] for n, raw in enumerate(DEMO_ITEMS[code], start=1)}
    started = gw.post(
        f"/v1/assessments/{check_id(code)}/attempts",
        json={"learner_id": str(learner_id)},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    attempt = started.json()
    for shown in attempt["items"]:
        put = gw.put(
            f"/v1/attempts/{attempt['id']}/responses/{shown['item_id']}",
            json={"answer": answer(keys[uuid.UUID(shown["item_id"])])},
            headers=headers,
        )
        assert put.status_code == 200, put.text
    finished = gw.post(f"/v1/attempts/{attempt['id']}/finish", headers=headers)
    assert finished.status_code == 200, finished.text
    done: dict[str, Any] = finished.json()
    return done


def png(side: int = 3) -> bytes:
    """A real PNG of ``side`` x ``side`` grey pixels, for uploads that sniff their content."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x7f" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def dev_login(gateway: httpx.Client, username: str) -> dict[str, str]:
    """Headers of a demo user, through the gateway's development login (a real token)."""
    answer = gateway.post("/v1/auth/token", data={"grant_type": "password", "username": username})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def client_login(gateway: httpx.Client, client_id: str, client_secret: str) -> dict[str, str]:
    """Headers of an integration client (client-credentials grant, every scope it holds)."""
    answer = gateway.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


# Every kind of caller of a district: no token, each user role, its integration client.
CALLER_ROLES = (
    "anonymous", "student", "guardian", "teacher", "school_admin", "district_admin", "client",
)  # fmt: skip


def login_as(gateway: httpx.Client, district: DistrictLogins, role: str) -> dict[str, str]:
    """Headers of one of ``CALLER_ROLES`` in ``district`` (none for ``anonymous``), each a real
    token from the gateway: the development login for users, client credentials for the client."""
    if role == "anonymous":
        return {}
    if role == "client":
        return client_login(gateway, district.client_id, district.client_secret)
    return dev_login(gateway, district.users[role])


def gateway_token(principal: Principal, ttl_seconds: int = 600) -> dict[str, str]:
    """Headers of any principal (e.g. a user of another district), signed as a test gateway
    signs its own access tokens."""
    settings = GatewaySettings(environment="test")
    issued = issue_access_token(
        principal,
        key=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=ttl_seconds,
    )
    return bearer(issued.access_token)


# --- a gateway in front of a test receiver, for the event and webhook tests ---------------------


def settings_beside(db: TestDatabase, receiver_url: str) -> GatewaySettings:
    """A gateway whose profiles and pathways are a test receiver, assessment down, and no relay."""
    return GatewaySettings(
        database_url=db.url,
        environment="test",
        profiles_url=receiver_url,
        pathways_url=receiver_url,
        assessment_url="http://127.0.0.1:9",
        outbox_relay=False,
        rate_limit_client="100000/minute",
    )


def gateway_with_hub(hub: EventHubSettings) -> Callable[..., FastAPI]:
    """``create_app`` with the event hub's settings replaced (each event test module sets its own
    schedule, lease and whether the dispatcher runs)."""

    from pathwise_gateway.app import create_app  # the gateway app, only when asked for

    def make(settings: GatewaySettings, **kwargs: Any) -> FastAPI:
        app = create_app(settings, **kwargs)
        app.state.event_hub_settings = hub
        return app

    return make


@dataclass(frozen=True)
class RawRequest:
    """A request as a raw loopback upstream read it: method, path, lower-cased headers, body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def chunked(self) -> bool:
        return self.headers.get("transfer-encoding", "").lower() == "chunked"


class RawUpstream:
    """A loopback HTTP/1.1 server on raw sockets, for the gateway's fault tests: answers no real
    service gives (a bare 500, a hang, a cut connection), held answers, recorded bodies.

    A subclass implements :meth:`handle` (one connection: read with :meth:`read_request`, answer
    with :meth:`respond`); a client that goes away mid-request ends the connection quietly.
    """

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    @staticmethod
    async def read_request(reader: asyncio.StreamReader) -> RawRequest:
        """The next request: its head, then its body (``Content-Length`` or chunked)."""
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, path = request_line.split(" ", 2)[:2]
        headers = {
            k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines if ln)
        }
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
                if size == 0:
                    break
            body = b"".join(parts)
        else:
            length = int(headers.get("content-length", "0") or 0)
            body = await reader.readexactly(length) if length else b""
        return RawRequest(method, path, headers, body)

    @staticmethod
    async def respond(
        writer: asyncio.StreamWriter,
        status: str,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        close: bool = True,
    ) -> None:
        """Write one answer (``status`` like ``"200 OK"``); ``close`` adds ``Connection: close``."""
        lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        if close:
            lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop_listening(self) -> None:
        """Close the port: connections are refused from now on."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
