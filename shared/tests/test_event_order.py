"""Event order (docs/events.md, "Order"): every event written to an outbox is numbered per
subject, 1, 2, 3… with no gap and no repeat, even when writers of one subject race.

Runs on SQLite by default and on PostgreSQL with ``PATHWISE_TEST_DATABASE=postgresql``; the race
test matters most there, where transactions really run at once and only the counter row's lock
keeps two of them from taking the same number.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pathwise_devstack.testing import create_test_database, drop_test_database
from pathwise_shared.db import Database, make_metadata
from pathwise_shared.db.outbox import (
    enqueue_event,
    enqueue_events,
    event_sequences_table,
    outbox_table,
    sequence_events,
)
from pathwise_shared.events import EventEnvelope, new_event

METADATA = make_metadata()
OUTBOX = outbox_table(METADATA)
SEQUENCES = event_sequences_table(METADATA)
DISTRICT = uuid.uuid4()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    test_db = await asyncio.to_thread(create_test_database, "order", tmp_path)
    database = Database(test_db.url)
    async with database.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    try:
        yield database
    finally:
        await database.dispose()
        await asyncio.to_thread(drop_test_database, test_db)


def event(subject: str, **data: Any) -> EventEnvelope:
    return new_event("learner.updated", district_id=DISTRICT, subject=subject, data=data)


async def stored(database: Database) -> list[dict[str, Any]]:
    """The envelopes as the relay will send them."""
    async with database.session() as session:
        rows = (await session.execute(select(OUTBOX.c.envelope).order_by(OUTBOX.c.id))).all()
    return [row.envelope for row in rows]


def assert_chain(envelopes: list[dict[str, Any]]) -> None:
    """One subject's events: numbered 1..n, each naming the one before it."""
    ordered = sorted(envelopes, key=lambda e: e["sequence"])
    assert [e["sequence"] for e in ordered] == list(range(1, len(ordered) + 1))
    assert [e["previous_event_id"] for e in ordered] == [None] + [e["id"] for e in ordered[:-1]]


async def test_each_subject_is_numbered_from_one_in_the_order_written(db: Database) -> None:
    async with db.session() as session, session.begin():
        for n in range(3):
            await enqueue_event(session, OUTBOX, event("learner/a", n=n))
            await enqueue_event(session, OUTBOX, event("learner/b", n=n))
    async with db.session() as session, session.begin():
        written = await enqueue_event(session, OUTBOX, event("learner/a", n=3))
    assert written.sequence == 4
    envelopes = await stored(db)
    assert all(isinstance(e["sequence"], int) for e in envelopes)
    for subject in ("learner/a", "learner/b"):
        mine = [e for e in envelopes if e["subject"] == subject]
        assert_chain(mine)
        # Written order = numbered order (the relay sends by id, which is creation order).
        assert [e["data"]["n"] for e in mine] == list(range(len(mine)))


async def test_a_rolled_back_event_leaves_no_gap(db: Database) -> None:
    async with db.session() as session, session.begin():
        await enqueue_event(session, OUTBOX, event("learner/a"))
    async with db.session() as session:
        lost = await enqueue_event(session, OUTBOX, event("learner/a"))
        assert lost.sequence == 2
        await session.rollback()
    async with db.session() as session, session.begin():
        again = await enqueue_event(session, OUTBOX, event("learner/a"))
    assert again.sequence == 2
    assert_chain(await stored(db))


async def test_many_events_at_once_continue_each_subjects_numbers(db: Database) -> None:
    async with db.session() as session, session.begin():
        await enqueue_event(session, OUTBOX, event("class/1", n=0))
    batch = [event(f"class/{i % 3}", n=i) for i in range(1, 10)]
    async with db.session() as session, session.begin():
        numbered = await enqueue_events(session, OUTBOX, batch)
    assert [e.id for e in numbered] == [e.id for e in batch]  # the caller's order, kept
    envelopes = await stored(db)
    assert len(envelopes) == 10
    for subject in ("class/0", "class/1", "class/2"):
        assert_chain([e for e in envelopes if e["subject"] == subject])
    # class/1 had one event before the batch: the batch's first class/1 event is number 2.
    assert next(e for e in numbered if e.subject == "class/1").sequence == 2


async def test_numbering_needs_the_counter_table(db: Database) -> None:
    bare = outbox_table(make_metadata())
    async with db.session() as session:
        with pytest.raises(RuntimeError, match="event_sequences"):
            await enqueue_event(session, bare, event("learner/a"))
        await session.rollback()


async def test_concurrent_writers_of_one_subject_get_distinct_consecutive_numbers(
    db: Database,
) -> None:
    writers = 12
    started = asyncio.Barrier(writers)

    async def write(n: int) -> EventEnvelope:
        async with db.session() as session, session.begin():
            # Everyone in a transaction before anyone takes a number, then each holds its
            # transaction open a moment after numbering: the transactions really overlap.
            await session.execute(select(1))
            await started.wait()
            written = await enqueue_event(session, OUTBOX, event("learner/race", n=n))
            await asyncio.sleep(0.01)
            return written

    async with asyncio.timeout(60):
        results = await asyncio.gather(*(write(n) for n in range(writers)))
    assert sorted(r.sequence or 0 for r in results) == list(range(1, writers + 1))
    envelopes = await stored(db)
    assert len(envelopes) == writers
    assert_chain(envelopes)


async def test_concurrent_batches_over_shared_subjects_do_not_deadlock(db: Database) -> None:
    """Two imports touching the same subjects in opposite orders: counters are locked in one
    order (sorted), so on PostgreSQL neither waits on the other in a cycle."""
    subjects = [f"learner/{i}" for i in range(20)]

    async def batch(order: list[str]) -> None:
        async with db.session() as session, session.begin():
            # Hold the locks a moment so the two transactions overlap.
            await enqueue_events(session, OUTBOX, [event(s) for s in order])
            await asyncio.sleep(0.05)

    async with asyncio.timeout(60):
        await asyncio.gather(batch(subjects), batch(subjects[::-1]))
    envelopes = await stored(db)
    assert len(envelopes) == 40
    for subject in subjects:
        assert_chain([e for e in envelopes if e["subject"] == subject])


async def test_numbers_come_back_in_the_callers_order(db: Database) -> None:
    batch = [event("learner/z"), event("learner/a"), event("learner/z")]
    async with db.session() as session, session.begin():
        numbered = await sequence_events(session, SEQUENCES, batch)
    assert [(e.subject, e.sequence) for e in numbered] == [
        ("learner/z", 1), ("learner/a", 1), ("learner/z", 2)
    ]  # fmt: skip
    assert numbered[2].previous_event_id == batch[0].id
