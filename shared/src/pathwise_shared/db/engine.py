"""Async engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from pathwise_shared.problems import ServiceUnavailable

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "ONE_STATEMENT_OPTION",
    "READ_ONLY_OPTION",
    "SQLITE_BEGIN_OPTION",
    "Database",
    "ReadOnlyViolation",
    "WriteGate",
    "async_url",
    "begin_read_only",
    "begin_write",
    "read_only_options",
    "sync_url",
]

# Execution option read by the SQLite "begin" listener: the transaction mode to begin with.
SQLITE_BEGIN_OPTION = "pathwise_sqlite_begin"
# How long a SQLite writer waits for the write lock (the pragma), and for its turn at this
# process's write gate, before its request is a 503.
BUSY_TIMEOUT_SECONDS = 10.0
# Session info keys: the process's write gate, and the gate a session holds until its
# transaction ends.
_WRITE_GATE = "pathwise_write_gate"
_GATE_HELD = "pathwise_write_gate_held"


class WriteGate:
    """SQLite: this process's writers take the write lock one at a time, in arrival order.

    Without it, concurrent ``BEGIN IMMEDIATE`` transactions wait in SQLite's busy handler, which
    sleeps and retries with growing pauses (up to 100 ms): a writer that arrived early could keep
    losing to later ones, and the lock sat free while they slept. Under a class answering at once
    that was the answers' tail (p99 10 to 28 times p50, docs/benchmarks.md). Queued here first,
    each writer of the process finds the lock free when its turn comes; writers of other
    processes (a script, a second worker) still meet it through ``busy_timeout``.
    """

    def __init__(self, timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self._lock = asyncio.Lock()
        self.timeout = timeout

    async def enter(self) -> bool:
        """Wait for the turn; False when ``timeout`` passed first (then nothing is held)."""
        turn = asyncio.ensure_future(self._lock.acquire())
        try:
            done, _ = await asyncio.wait({turn}, timeout=self.timeout)
        except BaseException:
            self._abandon(turn)  # the request was cancelled while it waited
            raise
        if turn in done:
            return True
        self._abandon(turn)
        return False

    def _abandon(self, turn: "asyncio.Future[Any]") -> None:
        # The turn may have come between the wait's end and now: hand it on, never keep it.
        turn.cancel()
        turn.add_done_callback(self._give_back)

    def _give_back(self, turn: "asyncio.Future[Any]") -> None:
        if not turn.cancelled() and turn.exception() is None:
            self._lock.release()

    def leave(self) -> None:
        self._lock.release()


@event.listens_for(Session, "after_transaction_end")
def _leave_write_gate(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction of a session that holds the gate ended (commit, rollback or
    # close, on every path): the next writer's turn.
    if transaction.parent is None:
        gate: WriteGate | None = session.info.pop(_GATE_HELD, None)
        if gate is not None:
            gate.leave()


def async_url(url: str) -> URL:
    """The async-driver form of a settings URL (``sqlite:///`` → aiosqlite, ``postgresql://`` → asyncpg)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")


def sync_url(url: str) -> URL:
    parsed = make_url(url)
    return parsed.set(drivername=parsed.get_backend_name())


def _ensure_sqlite_dir(url: URL) -> None:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the one writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """SQLAlchemy's documented pysqlite/aiosqlite "begin" recipe, applied only to transactions
    that asked for it (:func:`begin_write`).

    The driver's own handling stays the default: it emits a deferred ``BEGIN`` just before the
    first INSERT/UPDATE/DELETE, so reads before it run outside any transaction and never hold a
    lock (GETs do not serialize), and the first write waits ``busy_timeout`` for the write lock.
    What that cannot give is a read-modify-write: the reads are not in the writing transaction, so
    two requests can decide on the same stale state. A transaction flagged ``IMMEDIATE`` takes the
    one write lock up front instead (waiting ``busy_timeout`` for it, like a PostgreSQL row lock
    waits), so everything it reads is the state it writes on. A deferred transaction that read
    first and then tried to write would not wait: SQLite answers SQLITE_BUSY at once ("database is
    locked") rather than risk a deadlock, which is why the mode must be chosen at BEGIN.
    Once our BEGIN is sent the driver sees a transaction open and adds none; its commit() and
    rollback() end ours.
    """
    mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION)
    if mode == "IMMEDIATE":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif mode == "DEFERRED":
        # A read snapshot (:func:`begin_read_only`): in WAL mode every read until COMMIT sees
        # the database as of the first one, and no lock is taken that would hold up a writer.
        conn.exec_driver_sql("BEGIN")


# Execution option of a read-only unit of work (a GET's): any write through it is refused.
READ_ONLY_OPTION = "pathwise_read_only"
# Execution option of a one-statement read (no transaction): a list holding the count of
# statements run, so a second one fails instead of reading another moment's data.
ONE_STATEMENT_OPTION = "pathwise_one_statement"
# A pooled PostgreSQL connection idle for longer than this is pinged before use (see _ping_idle).
PING_AFTER_IDLE_SECONDS = 2.0
_IDLE_SINCE = "pathwise_idle_since"


class ReadOnlyViolation(RuntimeError):
    """A write was sent through a read-only unit of work, or a second statement through a
    one-statement read: a bug in the route, which fails loudly rather than answer wrongly."""


_WRITE_VERBS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "REPLACE",
        "UPSERT",
        "CREATE",
        "DROP",
        "ALTER",
        "TRUNCATE",
    }
)


def _refuse_writes(
    conn: Connection, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    options = conn.get_execution_options()
    if not options.get(READ_ONLY_OPTION):
        return
    compiled_write = context is not None and (
        context.isinsert or context.isupdate or context.isdelete
    )
    # A textual statement carries no flags: its first word tells.
    words = statement.split(None, 1)
    if compiled_write or (words and words[0].upper() in _WRITE_VERBS):
        raise ReadOnlyViolation(f"a read-only unit of work tried to write: {statement[:80]}")
    counter: list[int] | None = options.get(ONE_STATEMENT_OPTION)
    if counter is not None:
        counter[0] += 1
        if counter[0] > 1:
            raise ReadOnlyViolation(
                "a one-statement read ran a second statement (outside a snapshot it could see"
                f" another moment's data; use the default read session): {statement[:80]}"
            )


def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_idle(engine: AsyncEngine) -> Any:
    """Checks a connection that sat idle in the pool, instead of ``pool_pre_ping`` on every
    checkout: under load a connection goes straight back out and the ping was a round trip per
    request (about a sixth of a profile read's CPU). A connection the server dropped while idle
    (a restart, a failover, an idle timeout) is still found before use: the pool replaces it
    (DisconnectionError) and the request never sees it. One dropped between two busy requests
    fails that request with a 503 and the pool is invalidated, as with pre-ping."""
    dialect = engine.sync_engine.dialect

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc
        if not alive:
            raise DisconnectionError("the pooled connection is gone")

    return checkout


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(target)
        engine = create_async_engine(target, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
        return engine
    # A fixed pool, no overflow: an overflow connection is closed as soon as the pool has enough
    # idle ones, so a fluctuating load kept opening connections (each a TCP and TLS negotiation
    # and a server backend: a tenth of a profile read's CPU under 32 connections). Requests
    # beyond the pool wait for a connection (pool_timeout), as they would for a server's slot.
    # Twenty per process is the peak the pool had before (10 + 10 overflow): four services stay
    # under a default PostgreSQL's 100 connections, and the pool only grows as far as a burst
    # of concurrent requests takes it.
    kwargs.setdefault("pool_size", int(os.environ.get("PATHWISE_DB_POOL_SIZE", "20")))
    kwargs.setdefault("max_overflow", int(os.environ.get("PATHWISE_DB_MAX_OVERFLOW", "0")))
    engine = create_async_engine(target, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine.sync_engine.pool, "checkin", _mark_idle)
        event.listen(engine.sync_engine.pool, "checkout", _ping_idle(engine))
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
    return engine


async def begin_read_only(session: AsyncSession, *, one_statement: bool = False) -> None:
    """Make ``session`` a read-only unit of work (a GET's): a write through it raises
    ``ReadOnlyViolation``, and all its reads see one snapshot of the database.

    Without the snapshot each statement saw what was committed when it started, so a pathway
    read in two statements could show version 1 with the steps of version 2 (a writer committed
    between them). PostgreSQL: ``REPEATABLE READ READ ONLY``; SQLite: a deferred ``BEGIN``.

    ``one_statement`` is for the hottest reads that fetch everything in one statement: no
    transaction at all (PostgreSQL autocommit saves the BEGIN and COMMIT round trips, about 0.35
    ms a request), and a second statement raises, since it would not share the first's snapshot.
    """
    if session.in_transaction():
        raise RuntimeError("begin_read_only() must come before the session's first statement")
    options = read_only_options(session.get_bind().dialect.name, one_statement=one_statement)
    await session.connection(execution_options=options)


def read_only_options(dialect: str, *, one_statement: bool = False) -> dict[str, Any]:
    """The execution options of a read-only unit of work on ``dialect`` (see
    :func:`begin_read_only`), for a session's or a bare connection's first statement."""
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    sqlite = dialect == "sqlite"
    if one_statement:
        options[ONE_STATEMENT_OPTION] = [0]
        if not sqlite:
            options["isolation_level"] = "AUTOCOMMIT"
    elif sqlite:
        options[SQLITE_BEGIN_OPTION] = "DEFERRED"
    else:
        options["isolation_level"] = "REPEATABLE READ"
        options["postgresql_readonly"] = True
    return options


async def begin_write(session: AsyncSession) -> None:
    """Begin ``session``'s transaction as one that reads what it is about to write.

    On SQLite: ``BEGIN IMMEDIATE`` (see :func:`_sqlite_begin`), so concurrent writers of the
    service run one after another over the whole request, reads included. On PostgreSQL nothing:
    the caller locks the rows it changes (``SELECT … FOR UPDATE``) and other writers proceed.
    Call it before the session's first statement; a transaction already begun cannot change mode.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        raise RuntimeError("begin_write() must come before the session's first statement")
    gate: WriteGate | None = session.info.get(_WRITE_GATE)
    if gate is not None:
        if not await gate.enter():
            raise _busy()
        # Given back when the session's transaction ends (``_leave_write_gate``).
        session.info[_GATE_HELD] = gate
    try:
        await session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    except BaseException as exc:
        held = session.info.pop(_GATE_HELD, None)
        if held is not None:
            held.leave()
        # Another writer (of another process) kept the lock past busy_timeout: the database is
        # overloaded, not the request wrong. Say so (503, retry shortly) rather than 500;
        # nothing was written.
        if not isinstance(exc, OperationalError) or "locked" not in str(exc.orig):
            raise
        await session.rollback()
        raise _busy() from exc


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The database is busy with other writes; retry shortly.", slug="database-busy",
        headers={"Retry-After": "1"},
    )  # fmt: skip


class Database:
    """One engine and session factory per service process."""

    def __init__(self, url: str, *, outbox: Table | None = None, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.outbox = outbox
        # Every session knows the service's outbox, so code that publishes an event needs only
        # the session it already has (``pathwise_shared.db.outbox.publish``).
        # Set by every publish in this process: the outbox relay's wake-up (relay.py).
        self.outbox_written = asyncio.Event()
        # SQLite: the process's writers queue here for the one write lock (``WriteGate``).
        self.write_gate = WriteGate() if self.engine.dialect.name == "sqlite" else None
        self.sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            info={
                "outbox": outbox,
                "outbox_written": self.outbox_written,
                _WRITE_GATE: self.write_gate,
            },
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def current_revisions(self, version_table: str) -> set[str]:
        async with self.engine.connect() as conn:
            result = await conn.execute(text(f"SELECT version_num FROM {version_table}"))  # noqa: S608
            return {row[0] for row in result}

    async def dispose(self) -> None:
        await self.engine.dispose()
