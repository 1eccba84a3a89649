"""A dashboard's changed flags are written without holding the read's connection
(``service/flags.py``, ``sync_flags``).

The class insights read runs in the request's read-only session and writes changed flags in a unit
of work of its own. Holding the read's connection while waiting for the write's, as many
dashboards at once as the pool had connections each held one and waited for another until the
pool's timeout (30 s, then 503s for everything in pathways). With a pool of one connection, the
write can only happen if the read let its connection go first.
"""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pathwise_devstack import testing
from pathwise_devstack.testing import create_test_database, drop_test_database
from pathwise_pathways.domain.insights import Flag
from pathwise_pathways.migrations import MIGRATIONS
from pathwise_pathways.models import outbox
from pathwise_pathways.repository import flags as repo
from pathwise_pathways.service.flags import sync_flags
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[testing.TestDatabase]:
    db = create_test_database("pathways", tmp_path)
    try:
        MIGRATIONS.upgrade(db.url)
        yield db
    finally:
        drop_test_database(db)


async def test_a_changed_flag_is_written_by_a_request_holding_the_only_connection(
    migrated: testing.TestDatabase,
) -> None:
    # One connection, and a short wait for it: without the release the write waits for the
    # read's connection, which its own request holds, and the pool gives up.
    db = Database(migrated.url, outbox=outbox, pool_size=1, max_overflow=0, pool_timeout=2)
    district, learner = uuid.uuid4(), uuid.uuid4()
    flag = Flag(code="no_progress", detail="No progress on 3.NF.A.1", numbers={"answers": 9})
    try:
        async with unit_of_work(db, read_only=True) as reading:
            stored = await repo.flags_of(reading, district, [learner])  # the read holds it now
            assert stored == []
            written = await asyncio.wait_for(
                sync_flags(reading, db, district, {learner: [flag]}, stored=stored), timeout=20
            )
        assert [f.code for f in written[learner]] == ["no_progress"]
        async with unit_of_work(db, read_only=True) as again:
            assert [f.code for f in await repo.flags_of(again, district, [learner])] == [
                "no_progress"
            ]
    finally:
        await db.dispose()


async def test_two_dashboards_at_once_on_a_pool_of_two_store_the_flag_once(
    migrated: testing.TestDatabase,
) -> None:
    """The same changed flag from two reads at once, each holding its read's connection: both
    answer with the one stored flag (the loser of the insert reads the winner's)."""
    db = Database(migrated.url, outbox=outbox, pool_size=2, max_overflow=0, pool_timeout=5)
    district, learner = uuid.uuid4(), uuid.uuid4()
    flag = Flag(code="no_progress", detail="No progress on 3.NF.A.1", numbers={"answers": 9})
    started = asyncio.Event()
    ready = 0

    async def dashboard() -> list[str]:
        nonlocal ready
        async with unit_of_work(db, read_only=True) as reading:
            stored = await repo.flags_of(reading, district, [learner])
            ready += 1
            if ready == 2:
                started.set()
            await started.wait()  # both reads hold a connection: the pool is full
            written = await sync_flags(reading, db, district, {learner: [flag]}, stored=stored)
        return [f.code for f in written[learner]]

    try:
        both = await asyncio.wait_for(asyncio.gather(dashboard(), dashboard()), timeout=30)
        assert list(both) == [["no_progress"], ["no_progress"]]
        async with unit_of_work(db, read_only=True) as again:
            assert len(await repo.flags_of(again, district, [learner])) == 1
    finally:
        await db.dispose()
