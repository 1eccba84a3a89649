"""``core(session)``: Core statements on the session's own connection see what the session has
pending, as the session's own statements would (autoflush), in the same transaction."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pathwise_devstack.testing import scratch_database
from pathwise_shared.db import Database
from pathwise_shared.db.uow import core, unit_of_work


class _Base(DeclarativeBase):
    pass


class Thing(_Base):
    __tablename__ = "thing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


COUNT = text("SELECT count(*) FROM thing")
NAME = text("SELECT name FROM thing WHERE id = 1")


async def _write_then_fail(db: Database) -> None:
    async with unit_of_work(db, write=True) as session:
        await (await core(session)).execute(text("INSERT INTO thing VALUES (3, 'x')"))
        raise RuntimeError("the request fails")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with scratch_database("core", tmp_path) as made:
        yield made


async def test_core_statements_see_the_sessions_pending_changes(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_Base.metadata.create_all)
        async with unit_of_work(db, write=True) as session:
            session.add(Thing(id=1, name="new"))  # pending, not flushed
            assert (await (await core(session)).execute(COUNT)).scalar_one() == 1
            thing = await session.get(Thing, 1)
            assert thing is not None
            thing.name = "changed"  # dirty
            assert (await (await core(session)).execute(NAME)).scalar_one() == "changed"
            await session.delete(thing)  # deleted
            assert (await (await core(session)).execute(COUNT)).scalar_one() == 0
            # The same transaction: a write through the connection is the session's to commit.
            await (await core(session)).execute(text("INSERT INTO thing VALUES (2, 'core')"))
        async with unit_of_work(db, read_only=True) as session:
            assert (await session.execute(COUNT)).scalar_one() == 1
        with pytest.raises(RuntimeError):
            await _write_then_fail(db)
        async with unit_of_work(db, read_only=True) as session:
            assert (await session.execute(COUNT)).scalar_one() == 1  # rolled back with it
    finally:
        await db.dispose()
