"""``run_every``: each round in its own unit of work; a failed round neither stops the schedule
nor keeps what it wrote."""

import logging
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.db.engine import Database
from pathwise_shared.db.schedule import run_every

metadata = MetaData()
marks = Table("marks", metadata, Column("id", Integer, primary_key=True))


async def test_rounds_commit_alone_and_a_failed_round_does_not_stop_the_schedule(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pathwise.schedule")
    db = Database(f"sqlite:///{tmp_path / 'schedule.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    calls = 0

    async def job(session: AsyncSession) -> int:
        nonlocal calls
        calls += 1
        await session.execute(marks.insert().values(id=calls))
        if calls == 2:
            raise RuntimeError("a bad row")
        return 1

    try:
        await run_every(db, 0, job, name="test sweep", done_message="%d marked", rounds=3)
        async with db.engine.connect() as conn:
            kept = (await conn.execute(select(marks.c.id).order_by(marks.c.id))).scalars().all()
    finally:
        await db.dispose()
    assert calls == 3
    assert kept == [1, 3]  # the failed round's row was rolled back with it
    assert "test sweep failed" in caplog.text
    assert caplog.text.count("test sweep: 1 marked") == 2
