"""SQLite transaction modes: ``begin_write`` serializes read-modify-writes, reads never wait.

Real SQLite files (WAL, the service pragmas), two connections of one engine, as two requests.
"""

import asyncio
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
    try:
        async with db.session() as holder, db.session() as late:
            await begin_write(holder)
            with pytest.raises(ServiceUnavailable) as caught:
                await begin_write(late)
            assert caught.value.status_code == 503
            assert caught.value.headers["Retry-After"] == "1"
            await holder.rollback()
    finally:
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
