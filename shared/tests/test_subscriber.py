"""``receive_batch``: a batch of events from the hub, each handled as if it had come alone, in a
unit of work of its own, with its own outcome (pathwise_shared.subscriber)."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_devstack.testing import scratch_database
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.events import EventEnvelope, new_event
from pathwise_shared.problems import Conflict, Forbidden
from pathwise_shared.subscriber import EventBatch, receive_batch

DISTRICT = uuid.uuid4()
HUB = Principal(subject="system:event-hub", kind="system", district_id=DISTRICT)


def event(do: str, district: uuid.UUID = DISTRICT) -> EventEnvelope:
    return new_event("test.happened", district_id=district, subject="thing/1", data={"do": do})


async def handle(session: AsyncSession, envelope: EventEnvelope) -> str:
    """Writes the event's id, then does what the event says: the write must stay only when the
    event succeeds."""
    await session.execute(text("INSERT INTO seen (id) VALUES (:id)"), {"id": str(envelope.id)})
    do = envelope.data["do"]
    if do == "conflict":
        raise Conflict("Not now.", slug="step-closed")
    if do == "bug":
        raise RuntimeError("a bug of ours")
    if do == "outage":
        raise sa_exc.TimeoutError("no connection in time")
    return "applied"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with scratch_database("subscriber", tmp_path) as made:
        yield made


@pytest.fixture
async def db(url: str) -> Database:
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE seen (id VARCHAR(36) PRIMARY KEY)"))
    return database


async def seen(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return {row.id for row in await conn.execute(text("SELECT id FROM seen"))}


async def test_each_event_has_its_own_unit_of_work_and_outcome(db: Database) -> None:
    """A problem and a bug in the middle of a batch cost only their own events: the events
    before and after them are applied and kept, theirs are rolled back."""
    events = [event("ok"), event("conflict"), event("ok"), event("bug"), event("ok")]
    try:
        answer = await receive_batch(db, HUB, EventBatch(events=events), handle)
        assert [r.id for r in answer.results] == [e.id for e in events]
        assert [r.status for r in answer.results] == [200, 409, 200, 500, 200]
        assert answer.results[0].outcome == "applied"
        assert answer.results[1].type is not None and answer.results[1].type.endswith("step-closed")
        assert answer.results[3].detail == "internal error"  # no trace leaves the service
        assert await seen(db) == {str(events[i].id) for i in (0, 2, 4)}
    finally:
        await db.dispose()


async def test_an_outage_answers_the_rest_503_without_trying_them(db: Database) -> None:
    events = [event("ok"), event("outage"), event("ok"), event("ok")]
    try:
        answer = await receive_batch(db, HUB, EventBatch(events=events), handle)
        assert [r.status for r in answer.results] == [200, 503, 503, 503]
        assert await seen(db) == {str(events[0].id)}
    finally:
        await db.dispose()


async def test_only_the_system_delivers_and_only_its_districts_events(db: Database) -> None:
    other = event("ok", district=uuid.uuid4())
    mine = event("ok")
    try:
        answer = await receive_batch(db, HUB, EventBatch(events=[other, mine]), handle)
        assert [r.status for r in answer.results] == [403, 200]
        assert answer.results[0].type is not None
        assert answer.results[0].type.endswith("district-mismatch")
        teacher = Principal(
            subject="t-1", kind="user", district_id=DISTRICT, roles=frozenset({"teacher"})
        )
        with pytest.raises(Forbidden):
            await receive_batch(db, teacher, EventBatch(events=[event("ok")]), handle)
        assert await seen(db) == {str(mine.id)}
    finally:
        await db.dispose()


def test_a_batch_holds_one_to_fifty_events() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        EventBatch(events=[])
    with pytest.raises(ValidationError, match="at most 50 items"):
        EventBatch(events=[event("ok") for _ in range(51)])
    assert len(EventBatch(events=[event("ok") for _ in range(50)]).events) == 50
