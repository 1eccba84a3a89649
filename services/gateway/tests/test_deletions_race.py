"""One unfinished deletion job per learner, even when two requests race (docs/privacy.md,
"Deletion"): an administrator's request and a retention round, or two gateway processes, that
both find no job and both insert. The partial unique index ``uq_learner_deletions_unfinished``
makes the second insert fail; the loser answers the winner's job."""

import asyncio
import contextlib
import uuid
from typing import Any, cast

from sqlalchemy import func, select

from pathwise_devstack.testing import ServiceClient
from pathwise_gateway.deletions.domain import tombstone
from pathwise_gateway.deletions.models import learner_deletions
from pathwise_gateway.deletions.service import DeletionRunner, new_job
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work


class _Runner:
    """What ``new_job`` asks of the runner; the check waits for the other request's (a second
    at most), so on PostgreSQL both pass their look-up before either inserts. SQLite's writers
    take the database's one write lock when their transaction begins, so there the second
    request waits for the first to commit and finds its job in the look-up."""

    def __init__(self) -> None:
        self.checked = 0
        self.both_checked = asyncio.Event()

    def tombstone(self, district_id: uuid.UUID, learner_id: uuid.UUID) -> str:
        return tombstone("p" * 32, district_id, learner_id)

    async def check(self, district_id: uuid.UUID, learner_id: uuid.UUID) -> None:
        self.checked += 1
        if self.checked == 2:
            self.both_checked.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.both_checked.wait(), 1)


async def test_two_requests_at_once_make_one_job(gateway: ServiceClient) -> None:
    db: Database = gateway.app.state.db
    runner = _Runner()
    district, learner = uuid.uuid4(), uuid.uuid4()

    async def ask(origin: str) -> tuple[dict[str, Any], bool]:
        async with unit_of_work(db, write=True) as session:
            return await new_job(
                session,
                cast(DeletionRunner, runner),  # the two methods new_job uses
                district,
                learner,
                requested_by=origin,
                origin=origin,
            )

    first, second = await asyncio.gather(ask("request"), ask("retention"))
    # On PostgreSQL both passed the look-up: the index decided.
    assert runner.checked == (1 if db.is_sqlite else 2)
    assert sorted([first[1], second[1]]) == [False, True]
    assert first[0]["id"] == second[0]["id"]
    async with unit_of_work(db, read_only=True) as session:
        count = await session.scalar(
            select(func.count()).where(learner_deletions.c.district_id == district)
        )
    assert count == 1
