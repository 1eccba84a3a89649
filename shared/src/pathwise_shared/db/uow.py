"""The unit of work: the one place where transactions begin, commit and roll back.

Requests, jobs, relays, seeds and commands all open their transactions here, so "commit on
success, roll back on any error, never half-written" is written once:

- ``unit_of_work(db)``: an ORM session in one transaction (the request dependency
  ``pathwise_shared.app.DbSession`` is this, per request); ``write=True`` begins it as a
  read-modify-write transaction (``begin_write``: SQLite ``BEGIN IMMEDIATE``); ``read_only=True``
  (every GET's) reads one snapshot and refuses writes; ``one_statement=True`` (a read done in one
  statement) skips the transaction and refuses a second statement (``begin_read_only``).
- ``one_statement_read(db)``: the same one-statement read on a bare Core connection, without an
  ORM session (the hottest reads: the profile and its disclosure; the session's own bookkeeping
  was about a twentieth of a profile read's CPU).
- ``transaction(db)``: a Core connection in one transaction, for code that works in statements
  (the gateway's stores, the relay, bulk jobs).
- ``commit_now(session)``: the one sanctioned mid-job commit, for long jobs that must make their
  progress visible (an import's progress, a fit's status) before they finish.
- ``roll_back_now(session)``: the one sanctioned early rollback, for a request that has failed
  and must write something else in a unit of work of its own before it answers (its locks, and
  SQLite's one writer, are let go first); the unit of work around it rolls back again, harmlessly.
- ``before_commit(session, key, callback)``: work that must be the transaction's last statements
  (profiles numbers its change log there, holding a counter lock only for the commit itself);
  it runs before every commit of the session, and is dropped on a rollback.

Services and repositories only ``flush``; ``tests/test_transactions.py`` fails when a
``commit()``, ``rollback()`` or ``begin()`` appears anywhere else.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from pathwise_shared.db.engine import Database, begin_read_only, begin_write, read_only_options

__all__ = [
    "BeforeCommit",
    "StatementReader",
    "before_commit",
    "commit_now",
    "core",
    "one_statement_read",
    "roll_back_now",
    "transaction",
    "unit_of_work",
]

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
# What a read that only executes Core statements takes: the request's session, or the bare
# connection of a one-statement read.
StatementReader = AsyncSession | AsyncConnection
_HOOKS = "pathwise.before_commit"


def before_commit(session: AsyncSession, key: str, callback: BeforeCommit) -> None:
    """Run ``callback(session)`` just before the session's next commit (once per ``key``, however
    often it is registered); a rollback drops it. The callback may still write and raise: an
    error rolls the whole transaction back like any other."""
    hooks: dict[str, BeforeCommit] = session.info.setdefault(_HOOKS, {})
    hooks.setdefault(key, callback)


async def _run_before_commit(session: AsyncSession) -> None:
    # Popped first: a hook that writes does not register itself again for this commit.
    hooks: dict[str, BeforeCommit] | None = session.info.pop(_HOOKS, None)
    for callback in (hooks or {}).values():
        await callback(session)


@asynccontextmanager
async def unit_of_work(
    db: Database, *, write: bool = False, read_only: bool = False, one_statement: bool = False
) -> AsyncIterator[AsyncSession]:
    async with db.session() as session:
        try:
            if write:
                await begin_write(session)
            elif read_only or one_statement:
                await begin_read_only(session, one_statement=one_statement)
            yield session
            await _run_before_commit(session)
            await session.commit()
        except BaseException:
            session.info.pop(_HOOKS, None)
            await session.rollback()
            raise


async def core(session: AsyncSession) -> AsyncConnection:
    """The session's own connection, in its transaction, for the Core statements of a hot path
    (an answer's): the same transaction without the ORM's work on every statement (its compile
    state and result wrapping; about a tenth of an answer's CPU over its statements).

    Pending ORM changes are flushed first, as the session's own ``execute`` would (autoflush):
    the transaction's statements, and so the order in which it takes its locks, stay as they
    were. On the answer path nothing is pending and this costs a look at three small sets."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


@asynccontextmanager
async def one_statement_read(db: Database) -> AsyncIterator[AsyncConnection]:
    """A connection for one read statement: no transaction on PostgreSQL (autocommit), and a
    second statement or any write raises ``ReadOnlyViolation``. Nothing is committed: the
    connection goes back to the pool as it came."""
    async with db.engine.connect() as conn:
        options = read_only_options(conn.dialect.name, one_statement=True)
        yield await conn.execution_options(**options)


@asynccontextmanager
async def transaction(db: Database) -> AsyncIterator[AsyncConnection]:
    async with db.engine.begin() as conn:
        yield conn


async def commit_now(session: AsyncSession) -> None:
    """Commit what a long job has done so far (its progress must be visible while it runs); the
    unit of work around it still commits the rest or rolls it back."""
    await _run_before_commit(session)
    await session.commit()


async def roll_back_now(session: AsyncSession) -> None:
    """Give up what a failed request has done so far, now rather than when it answers: it must
    write elsewhere first (e.g. pathways asks a learner's guardians for a consent it was refused
    for want of) and its locks must not make that write wait."""
    session.info.pop(_HOOKS, None)
    await session.rollback()
