"""SQLite transaction modes: ``begin_write`` serializes read-modify-writes, reads never wait.

Real SQLite files (WAL, the service pragmas), two connections of one engine, as two requests.
"""

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from pathwise_shared.db import Database, begin_write
from pathwise_shared.problems import ServiceUnavailable


async def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'race.db'}")
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        await conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return db


async def _increment(db: Database, pause: float, *, write: bool) -> None:
    """Read the counter, think, write it back plus one: the read-modify-write of a request."""
    async with db.session() as session:
        if write:
            await begin_write(session)
        n = (await session.execute(text("SELECT n FROM counter WHERE id = 1"))).scalar_one()
        await asyncio.sleep(pause)
        await session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        await session.commit()


async def _count(db: Database) -> Any:
    async with db.session() as session:
        return (await session.execute(text("SELECT n FROM counter WHERE id = 1"))).scalar_one()


async def test_read_modify_writes_begun_for_writing_lose_no_update(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    try:
        await asyncio.gather(*(_increment(db, 0.02, write=True) for _ in range(8)))
        assert await _count(db) == 8
    finally:
        await db.dispose()


async def test_without_it_the_same_race_loses_updates(tmp_path: Path) -> None:
    """The control: the driver's default transaction starts at the first write, after the read,
    so concurrent increments overwrite each other. (If this ever stops losing updates, the test
    above no longer proves anything.)"""
    db = await _database(tmp_path)
    try:
        await asyncio.gather(*(_increment(db, 0.02, write=False) for _ in range(8)))
        assert await _count(db) < 8
    finally:
        await db.dispose()


async def test_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    try:
        async with db.session() as writer:
            await begin_write(writer)
            await writer.execute(text("UPDATE counter SET n = 41 WHERE id = 1"))
            # The writer holds the lock and has not committed: a reader answers at once with the
            # last committed value (WAL), it does not queue behind the writer.
            assert await asyncio.wait_for(_count(db), timeout=2.0) == 0
            await writer.commit()
        assert await _count(db) == 41
    finally:
        await db.dispose()


async def test_a_writer_that_cannot_get_the_lock_is_a_503(tmp_path: Path) -> None:
    db = await _database(tmp_path)

    @event.listens_for(db.engine.sync_engine, "connect")
    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        # After the service pragmas: wait 50 ms instead of 10 s for the lock, to keep this fast.
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    await db.engine.dispose()  # reconnect with the short wait
    assert db.write_gate is not None
    db.write_gate.timeout = 0.05  # and as short a wait for this process's turn
    try:
        async with db.session() as holder, db.session() as late:
            await begin_write(holder)
            with pytest.raises(ServiceUnavailable) as caught:
                await begin_write(late)
            assert caught.value.status_code == 503
            assert caught.value.headers["Retry-After"] == "1"
            await holder.rollback()
        # Nothing was left held: the next writer gets in at once.
        async with db.session() as next_one:
            await asyncio.wait_for(begin_write(next_one), timeout=2.0)
            await next_one.commit()
    finally:
        await db.dispose()


async def test_writers_of_a_process_take_the_lock_in_arrival_order(tmp_path: Path) -> None:
    """Queued at the process's write gate, not in SQLite's busy handler (which sleeps and
    retries with growing pauses, so a later writer could get in before an earlier one)."""
    db = await _database(tmp_path)
    order: list[int] = []

    async def writer(n: int) -> None:
        await asyncio.sleep(n * 0.005)  # arrive in order
        async with db.session() as session:
            await begin_write(session)
            order.append(n)
            await asyncio.sleep(0.02)  # hold the lock a while
            await session.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
            await session.commit()

    try:
        await asyncio.gather(*(writer(n) for n in range(10)))
        assert order == list(range(10))
        assert await _count(db) == 10
    finally:
        await db.dispose()


async def test_a_writer_that_gives_up_waiting_leaves_no_turn_held(tmp_path: Path) -> None:
    """A request cancelled while it waits for its turn (the caller went away) does not keep
    the gate: the writers after it still get in."""
    db = await _database(tmp_path)
    try:
        async with db.session() as holder:
            await begin_write(holder)
            waiting = asyncio.create_task(_increment(db, 0.0, write=True))
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await holder.commit()
        await asyncio.wait_for(_increment(db, 0.0, write=True), timeout=2.0)
        assert await _count(db) == 1
    finally:
        await db.dispose()


async def test_a_writer_of_another_process_is_still_waited_for(tmp_path: Path) -> None:
    """The gate orders this process's writers; another process's writer (here a plain sqlite3
    connection holding the write lock) is met through busy_timeout, and the turn is handed on
    when that wait fails."""
    db = await _database(tmp_path)

    @event.listens_for(db.engine.sync_engine, "connect")
    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    await db.engine.dispose()
    other = sqlite3.connect(tmp_path / "race.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(ServiceUnavailable):
            async with db.session() as session:
                await begin_write(session)
        other.execute("ROLLBACK")
        await asyncio.wait_for(_increment(db, 0.0, write=True), timeout=2.0)
        assert await _count(db) == 1
    finally:
        other.close()
        await db.dispose()


async def test_begin_write_after_the_first_statement_is_a_programming_error(
    tmp_path: Path,
) -> None:
    db = await _database(tmp_path)
    try:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
            with pytest.raises(RuntimeError):
                await begin_write(session)
    finally:
        await db.dispose()
