"""A database that cannot be reached is a 503 with Retry-After; a bug of ours stays a 500.

Every failure here is produced for real: a PostgreSQL URL on a port nobody listens on (asyncpg
refuses at once), a SQLite database whose directory is replaced by a file while the app runs
(``unable to open database file``), a SQLite write lock held by another connection past the busy
timeout (``database is locked``), a real unique violation and a real missing table.
"""

import asyncio
import gc
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pathwise_devstack.testing import backend, create_test_database, drop_test_database
from pathwise_shared.app import DbSession, create_service_app
from pathwise_shared.db import Database
from pathwise_shared.db.errors import is_database_unavailable
from pathwise_shared.settings import ServiceSettings

# aiosqlite warns from a finalizer when sqlite3.connect() itself failed (the file cannot be
# opened): there is no connection to close, so the warning says nothing about our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*was deleted before being closed:ResourceWarning")


@pytest.fixture(autouse=True)
def _collect_failed_connections() -> Iterator[None]:
    # ... and collected here, under that filter, not during some later test.
    yield
    gc.collect()


def _closed_port() -> int:
    # Bound and closed again: nothing listens there for the rest of the test.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def refused_url() -> str:
    return f"postgresql://postgres@127.0.0.1:{_closed_port()}/pathwise"


def _app(database_url: str) -> FastAPI:
    app = create_service_app(
        ServiceSettings(service_name="demo", database_url=database_url), title="t", description="d"
    )

    @app.get("/rows")
    async def list_rows(session: DbSession) -> list[int]:
        return [row[0] for row in await session.execute(text("SELECT id FROM things"))]

    @app.post("/rows/twice")
    async def insert_twice(session: DbSession) -> None:
        await session.execute(text("INSERT INTO things (id) VALUES (7)"))
        await session.execute(text("INSERT INTO things (id) VALUES (7)"))

    @app.get("/no-table")
    async def no_table(session: DbSession) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    @app.get("/engine")
    async def engine_direct() -> int:
        # Like the gateway's stores: a connection of its own, outside the request's session.
        db: Database = app.state.db
        async with db.engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM things"))).scalar_one())

    @app.get("/not-the-database")
    async def not_the_database() -> None:
        raise ConnectionRefusedError("some other peer refused")  # not ours to call an outage

    return app


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


def _assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["type"] == "https://pathwise.dev/problems/database-unavailable"
    assert body["status"] == 503
    assert body["request_id"] == response.headers["x-request-id"]
    assert "127.0.0.1" not in response.text and "sqlite" not in response.text.lower()


def _make_sqlite(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO things (id) VALUES (1)")
    return f"sqlite:///{path}"


async def test_refused_connections_are_503_on_every_route() -> None:
    async with _client(_app(refused_url())) as client:
        _assert_database_unavailable(await client.get("/rows"))
        _assert_database_unavailable(await client.get("/engine"))
        _assert_database_unavailable(await client.post("/rows/twice"))
        ready = await client.get("/readyz")
        _assert_database_unavailable(ready)


async def test_sqlite_file_gone_while_running_is_503_then_recovers(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    app = _app(_make_sqlite(directory / "demo.db"))
    async with _client(app) as client:
        assert (await client.get("/rows")).json() == [1]
        # The volume goes away: its directory is now something SQLite cannot open a file in,
        # and the pooled connections (which would keep the unlinked file) are dropped.
        moved = tmp_path / "moved"
        directory.rename(moved)
        directory.write_text("not a directory")
        await app.state.db.engine.dispose()
        _assert_database_unavailable(await client.get("/rows"))
        _assert_database_unavailable(await client.get("/engine"))
        # Back again: the same process answers without a restart.
        directory.unlink()
        moved.rename(directory)
        answer = await client.get("/rows")
        assert answer.status_code == 200, answer.text
        assert answer.json() == [1]


async def test_bugs_stay_500(tmp_path: Path) -> None:
    async with _client(_app(_make_sqlite(tmp_path / "demo.db"))) as client:
        for answer in (
            await client.post("/rows/twice"),  # unique violation
            await client.get("/no-table"),  # OperationalError, but our SQL is wrong
            await client.get("/not-the-database"),
        ):
            assert answer.status_code == 500, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert "retry-after" not in answer.headers
        # The failed write was rolled back whole.
        assert (await client.get("/rows")).json() == [1]


async def test_write_lock_held_past_the_busy_timeout_is_unavailable(tmp_path: Path) -> None:
    url = _make_sqlite(tmp_path / "locked.db")
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")  # as the engine sets it: readers still get in
    holder.execute("BEGIN IMMEDIATE")  # another process holds the one write lock
    db = Database(url)
    try:
        async with db.session() as session:
            # The engine waits 10 s by default; this test need not.
            await session.execute(text("PRAGMA busy_timeout=100"))
            with pytest.raises(DBAPIError) as caught:
                await session.execute(text("INSERT INTO things (id) VALUES (2)"))
        assert "locked" in str(caught.value)
        assert is_database_unavailable(caught.value)
    finally:
        holder.rollback()
        holder.close()
        await db.dispose()


async def test_classifier_on_real_errors(tmp_path: Path) -> None:
    db = Database(refused_url())
    try:
        with pytest.raises(ConnectionRefusedError) as refused:
            await db.ping()
        assert is_database_unavailable(refused.value)
    finally:
        await db.dispose()
    # The same kind of error raised by our own code (not by a database driver) is not an outage.
    for raised in (ConnectionRefusedError("a webhook receiver"), TimeoutError("a slow peer")):
        with pytest.raises(OSError, match=r"receiver|peer") as ours:
            raise raised
        assert not is_database_unavailable(ours.value)
    # A real unique violation wrapped like the request's session wraps it is a bug, and so is
    # SQLite's "no such table" (an OperationalError like the outages, but not one).
    sqlite = Database(_make_sqlite(tmp_path / "bugs.db"))
    try:
        for sql in ("INSERT INTO things (id) VALUES (1)", "SELECT * FROM no_such_table"):
            async with sqlite.session() as session:
                with pytest.raises(DBAPIError) as caught:
                    await session.execute(text(sql))
            assert not is_database_unavailable(caught.value), sql
    finally:
        await sqlite.dispose()


def test_group_is_an_outage_only_when_every_part_is() -> None:
    outage = DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_database_unavailable(outage)
    assert is_database_unavailable(ExceptionGroup("g", [outage]))
    assert not is_database_unavailable(ExceptionGroup("g", [outage, RuntimeError("bug")]))


def test_postgresql_sqlstates_of_an_unavailable_server() -> None:
    # asyncpg's own exception classes, as the driver raises them (no server needed).
    for unavailable in (
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),  # 53300
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),  # 57P03
        asyncpg.exceptions.AdminShutdownError("terminating connection"),  # 57P01
        asyncpg.exceptions.ConnectionFailureError("connection failure"),  # 08006
        # 55000, as an operator's ALTER DATABASE … ALLOW_CONNECTIONS false answers a connect.
        asyncpg.exceptions.ObjectNotInPrerequisiteStateError(
            'database "pathwise" is not currently accepting connections'
        ),
    ):
        assert is_database_unavailable(unavailable), type(unavailable).__name__
    for bug in (
        asyncpg.exceptions.UniqueViolationError("duplicate key"),  # 23505
        asyncpg.exceptions.UndefinedTableError("relation does not exist"),  # 42P01
        asyncpg.exceptions.QueryCanceledError("statement timeout"),  # 57014: slow, not down
        # The same class 55000 for another reason is not an outage.
        asyncpg.exceptions.ObjectNotInPrerequisiteStateError("cannot refresh concurrently"),
    ):
        assert not is_database_unavailable(bug), type(bug).__name__


@pytest.mark.skipif(backend() != "postgresql", reason="a PostgreSQL server to drop us")
async def test_postgresql_connection_terminated_mid_request_is_503(tmp_path: Path) -> None:
    db = await asyncio.to_thread(create_test_database, "outage", tmp_path)
    app = _app(db.url)

    @app.get("/terminated")
    async def terminated(session: DbSession) -> None:
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(db.url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        await session.execute(text("SELECT 1"))  # the server has dropped this connection

    try:
        async with _client(app) as client:
            _assert_database_unavailable(await client.get("/terminated"))
            assert (await client.get("/readyz")).status_code == 200  # a fresh connection works
    finally:
        await asyncio.to_thread(drop_test_database, db)
