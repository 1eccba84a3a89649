"""A read-only unit of work (every GET's) sees one moment of the database.

A pathway read in two statements (the pathway, then its steps) once showed version 1 with the
steps of version 2: a writer committed between the statements. Here a writer commits between a
reader's two statements, on the suite's backend (SQLite, or PostgreSQL under ``make test-pg``).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_devstack.testing import scratch_database
from pathwise_shared.db import Database
from pathwise_shared.db.engine import ReadOnlyViolation
from pathwise_shared.db.uow import one_statement_read, unit_of_work

READ_A = text("SELECT a FROM pair WHERE id = 1")
READ_B = text("SELECT b FROM pair WHERE id = 1")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with scratch_database("snapshot", tmp_path) as made:
        yield made


async def _database(url: str) -> Database:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE pair (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER)"))
        await conn.execute(text("INSERT INTO pair VALUES (1, 0, 0)"))
    return db


async def _write_both(db: Database, value: int) -> None:
    """Another request's change of both rows' values, committed."""
    async with unit_of_work(db, write=True) as writer:
        await writer.execute(text("UPDATE pair SET a = :v, b = :v WHERE id = 1"), {"v": value})


async def _torn_read(db: Database, session: AsyncSession) -> tuple[int, int]:
    a = (await session.execute(READ_A)).scalar_one()
    await _write_both(db, a + 1)
    b = (await session.execute(READ_B)).scalar_one()
    return int(a), int(b)


async def test_a_read_only_unit_of_work_sees_one_moment(url: str) -> None:
    db = await _database(url)
    try:
        async with unit_of_work(db, read_only=True) as reading:
            a, b = await _torn_read(db, reading)
        assert a == b == 0
        # The write it did not see is committed, and the next read sees it.
        async with unit_of_work(db, read_only=True) as reading:
            assert (await reading.execute(READ_B)).scalar_one() == 1
    finally:
        await db.dispose()


async def test_without_the_snapshot_the_same_read_is_torn(url: str) -> None:
    """The control: a plain session (SQLite reads outside a transaction, PostgreSQL READ
    COMMITTED) sees the writer's commit in its second statement. If this ever stops tearing,
    the test above no longer proves anything."""
    db = await _database(url)
    try:
        async with db.session() as plain:
            a, b = await _torn_read(db, plain)
            await plain.rollback()
        assert (a, b) == (0, 1)
    finally:
        await db.dispose()


async def test_a_one_statement_read_refuses_a_second_statement(url: str) -> None:
    db = await _database(url)
    try:
        async with unit_of_work(db, one_statement=True) as reading:
            assert (await reading.execute(READ_A)).scalar_one() == 0
            with pytest.raises(ReadOnlyViolation, match="second statement"):
                await reading.execute(READ_B)
        # Each request's session counts its own statements: a new one may read once again.
        async with unit_of_work(db, one_statement=True) as reading:
            assert (await reading.execute(READ_B)).scalar_one() == 0
    finally:
        await db.dispose()


@pytest.mark.parametrize("one_statement", [False, True])
async def test_a_read_only_unit_of_work_refuses_writes(url: str, one_statement: bool) -> None:
    db = await _database(url)
    try:
        with pytest.raises(ReadOnlyViolation, match="tried to write"):
            async with unit_of_work(db, read_only=True, one_statement=one_statement) as reading:
                await reading.execute(text("UPDATE pair SET a = 9 WHERE id = 1"))
        async with unit_of_work(db, read_only=True) as reading:
            assert (await reading.execute(READ_A)).scalar_one() == 0
    finally:
        await db.dispose()


async def test_a_one_statement_connection_refuses_a_second_statement_and_writes(url: str) -> None:
    """The bare-connection form of the one-statement read (the profile read's): the same rules
    as the session's."""
    db = await _database(url)
    try:
        async with one_statement_read(db) as reading:
            assert (await reading.execute(READ_A)).scalar_one() == 0
            with pytest.raises(ReadOnlyViolation, match="second statement"):
                await reading.execute(READ_B)
        async with one_statement_read(db) as reading:  # a new read counts afresh
            assert (await reading.execute(READ_B)).scalar_one() == 0
        with pytest.raises(ReadOnlyViolation, match="tried to write"):
            async with one_statement_read(db) as reading:
                await reading.execute(text("UPDATE pair SET a = 9 WHERE id = 1"))
        async with unit_of_work(db, read_only=True) as reading:
            assert (await reading.execute(READ_A)).scalar_one() == 0
    finally:
        await db.dispose()
