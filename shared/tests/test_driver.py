"""``HotStatement``: a Core statement run on the driver (PostgreSQL) gives what the session would
have given, inside the session's transaction, with the session's errors and guards.

Runs on the suite's backend: under ``make test-pg`` the driver path itself, under ``make test``
the SQLite path (the ordinary ``execute``) against the same expectations."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import (
    JSON,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    Uuid,
    bindparam,
    exc,
    insert,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pathwise_devstack.testing import backend, scratch_database
from pathwise_shared.db import Database, UTCDateTime
from pathwise_shared.db.driver import HotStatement
from pathwise_shared.db.engine import ReadOnlyViolation
from pathwise_shared.db.uow import one_statement_read, unit_of_work


class _Base(DeclarativeBase):
    pass


class Thing(_Base):
    __tablename__ = "hot_thing"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    score: Mapped[float] = mapped_column(Float)
    amount: Mapped[Any] = mapped_column(Numeric(10, 2))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Other(_Base):
    __tablename__ = "hot_other"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


class Defaulted(_Base):
    __tablename__ = "hot_defaulted"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(20), default="made in Python")


THING = cast(Table, Thing.__table__)
DEFAULTED = cast(Table, Defaulted.__table__)
OTHER = cast(Table, Other.__table__)
T = THING.c
COLUMNS = ("id", "n", "name", "data", "score", "amount", "at")
INSERT = HotStatement(insert(THING).values({c: bindparam(c) for c in COLUMNS}))
# Two columns of the same name (``name``): the second comes labelled, as SQLAlchemy labels it.
READ = select(THING, Other.name).join(Other, Other.id == Thing.n).where(T.n == bindparam("n"))
HOT_READ = HotStatement(READ)
COUNT = text("SELECT count(*) FROM hot_thing")


def _values(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "n": n, "name": f"thing {n}", "data": {"k": [n, None], "s": "é"},
        "score": n / 3, "amount": "12.50", "at": datetime(2026, 12, 1, 3, n, tzinfo=UTC), **extra,
    }  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with scratch_database("hot", tmp_path) as url:
        yield Database(url)


async def _create(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
        await conn.execute(insert(OTHER), [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}])


async def test_rows_are_those_the_session_reads(db: Database) -> None:
    try:
        await _create(db)
        async with unit_of_work(db, write=True) as session:
            await INSERT.execute(session, _values(1))
            await INSERT.execute(session, _values(1, data=None))
            await INSERT.execute(session, _values(2))
        async with unit_of_work(db, read_only=True) as session:
            for n in (1, 2, 3):
                expected = (await session.execute(READ, {"n": n})).mappings().all()
                got = await HOT_READ.mappings(session, {"n": n})
                assert [dict(r) for r in expected] == [dict(r) for r in got]
                assert [[type(v) for v in r.values()] for r in expected] == [
                    [type(v) for v in r.values()] for r in got
                ]
                tuples = await HOT_READ.rows(session, {"n": n})
                assert [tuple(r.values()) for r in expected] == [tuple(r) for r in tuples]
            first = (await HOT_READ.mappings(session, {"n": 1}))[0]
            assert first["at"].tzinfo is not None  # the zone restored (UTCDateTime)
            assert "name_1" in first and first["name_1"] == "one"
    finally:
        await db.dispose()


async def _insert_then_fail(db: Database) -> None:
    async with unit_of_work(db, write=True) as session:
        await INSERT.execute(session, _values(1))
        raise RuntimeError("the request fails")


async def test_a_textual_statement(db: Database) -> None:
    try:
        await _create(db)
        hot = HotStatement(text("SELECT id, name FROM hot_other WHERE id >= :low ORDER BY id"))
        async with unit_of_work(db, read_only=True) as session:
            assert [tuple(r) for r in await hot.rows(session, {"low": 2})] == [(2, "two")]
            assert [dict(r) for r in await hot.mappings(session, {"low": 1})] == [
                {"id": 1, "name": "one"},
                {"id": 2, "name": "two"},
            ]
    finally:
        await db.dispose()


async def test_a_first_statement_runs_in_the_sessions_transaction(db: Database) -> None:
    """Nothing ran through the session before it: the driver statement still begins the
    transaction, so the unit of work's rollback takes it back."""
    try:
        await _create(db)
        with pytest.raises(RuntimeError):
            await _insert_then_fail(db)
        async with unit_of_work(db, write=True) as session:
            assert (await session.execute(COUNT)).scalar_one() == 0
            await INSERT.execute(session, _values(1))
        async with unit_of_work(db, read_only=True) as session:
            assert (await session.execute(COUNT)).scalar_one() == 1  # committed
    finally:
        await db.dispose()


async def test_errors_are_the_sessions_errors(db: Database) -> None:
    try:
        await _create(db)
        values = _values(1)
        async with unit_of_work(db, write=True) as session:
            await INSERT.execute(session, values)
        with pytest.raises(exc.IntegrityError):
            async with unit_of_work(db, write=True) as session:
                await INSERT.execute(session, values)
        # The connection went back to the pool in a usable state.
        async with unit_of_work(db, read_only=True) as session:
            assert len(await HOT_READ.rows(session, {"n": 1})) == 1
    finally:
        await db.dispose()


async def test_the_read_only_guards_see_driver_statements(db: Database) -> None:
    try:
        await _create(db)
        with pytest.raises(ReadOnlyViolation):
            async with unit_of_work(db, read_only=True) as session:
                await INSERT.execute(session, _values(1))
        async with one_statement_read(db) as conn:
            await HOT_READ.rows(conn, {"n": 1})
            with pytest.raises(ReadOnlyViolation):
                await HOT_READ.rows(conn, {"n": 1})
    finally:
        await db.dispose()


async def test_expanding_parameters_are_refused(db: Database) -> None:
    try:
        await _create(db)
        hot = HotStatement(select(T.id).where(T.n.in_(bindparam("ns", expanding=True))))
        async with unit_of_work(db, read_only=True) as session:
            if backend() == "postgresql":
                with pytest.raises(ValueError, match="expanding"):
                    await hot.rows(session, {"ns": [1, 2]})
            else:  # SQLite runs the statement as SQLAlchemy would
                assert await hot.rows(session, {"ns": [1, 2]}) == []
    finally:
        await db.dispose()


async def test_many_parameter_sets_in_one_call(db: Database) -> None:
    try:
        await _create(db)
        rows = [_values(1), _values(1), _values(2)]
        async with unit_of_work(db, write=True) as session:
            await INSERT.execute_many(session, rows)
            await INSERT.execute_many(session, [])
        async with unit_of_work(db, read_only=True) as session:
            got = await HOT_READ.mappings(session, {"n": 1})
            assert sorted(r["id"] for r in got) == sorted(r["id"] for r in rows[:2])
        with pytest.raises(exc.IntegrityError):
            async with unit_of_work(db, write=True) as session:
                await INSERT.execute_many(session, [_values(3), rows[2]])
        async with unit_of_work(db, read_only=True) as session:
            assert (await session.execute(COUNT)).scalar_one() == 3  # none of the failed two
    finally:
        await db.dispose()


async def test_python_side_defaults_are_refused(db: Database) -> None:
    """A column left to a Python-side default would be NULL on the driver path: refused."""
    try:
        await _create(db)
        hot = HotStatement(insert(DEFAULTED).values(id=bindparam("id")))
        async with unit_of_work(db, write=True) as session:
            if backend() == "postgresql":
                with pytest.raises(ValueError, match="every column"):
                    await hot.execute(session, {"id": 1})
            else:
                await hot.execute(session, {"id": 1})
    finally:
        await db.dispose()


@pytest.mark.skipif(backend() != "postgresql", reason="a server connection to cut: PostgreSQL")
async def test_a_lost_connection_is_invalidated_and_replaced(db: Database) -> None:
    try:
        await _create(db)
        async with db.engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with db.engine.connect() as killer:
                await killer.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            with pytest.raises(exc.DBAPIError) as caught:
                await HOT_READ.rows(conn, {"n": 1})
            assert caught.value.connection_invalidated
        async with unit_of_work(db, read_only=True) as session:
            assert await HOT_READ.rows(session, {"n": 1}) == []  # a fresh connection
    finally:
        await db.dispose()
