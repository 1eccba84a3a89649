"""The outbox relay: at least once, nothing for a rolled-back change, resumes after a crash."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from pathwise_devstack.testing import backend, create_test_database, drop_test_database
from pathwise_shared.app import create_service_app
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.db import Database, make_metadata
from pathwise_shared.db.outbox import enqueue_event, event_sequences_table, outbox_table
from pathwise_shared.db.outbox import publish as publish_with
from pathwise_shared.events import new_event
from pathwise_shared.http import create_http_client
from pathwise_shared.relay import HttpEventSender, OutboxRelay, RelayRejectedError
from pathwise_shared.settings import DEV_INTERNAL_TOKEN_SECRET, ServiceSettings

METADATA = make_metadata()
OUTBOX = outbox_table(METADATA)
event_sequences_table(METADATA)  # enqueue_event numbers every event (docs/events.md, "Order")
DISTRICT = uuid.uuid4()


@dataclass
class Ingest:
    """A real loopback HTTP server standing in for the gateway's ingest."""

    url: str = ""
    received: list[str] = field(default_factory=list)
    mode: str = "ok"  # ok | down | hang | reject-marked
    requests: int = 0
    hanging: asyncio.Event = field(default_factory=asyncio.Event)
    auth_headers: list[str] = field(default_factory=list)


@pytest.fixture
async def ingest() -> AsyncIterator[Ingest]:
    state = Ingest()

    async def handler(request: web.Request) -> web.Response:
        state.requests += 1
        state.auth_headers.append(request.headers.get("Authorization", ""))
        body = await request.json()
        if state.mode == "down":
            return web.Response(status=503, text="maintenance")
        if state.mode == "hang":
            state.hanging.set()
            await asyncio.sleep(60)
        events = body["events"]
        if state.mode == "reject-marked" and any(e["data"].get("bad") for e in events):
            return web.json_response({"detail": "invalid"}, status=422)
        state.received.extend(e["id"] for e in events)
        return web.json_response({"accepted": len(events)}, status=202)

    app = web.Application()
    app.router.add_post("/internal/events", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    test_db = await asyncio.to_thread(create_test_database, "relay", tmp_path)
    database = Database(test_db.url, outbox=OUTBOX)
    async with database.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    try:
        yield database
    finally:
        await database.dispose()
        await asyncio.to_thread(drop_test_database, test_db)


@contextlib.asynccontextmanager
async def relay_to(ingest: Ingest, database: Database, **kwargs: Any) -> AsyncIterator[OutboxRelay]:
    client = create_http_client(ingest.url, timeout=2.0, retries=0)
    caller = ServiceCaller("gateway", client, DEV_INTERNAL_TOKEN_SECRET)
    try:
        yield OutboxRelay(
            database, OUTBOX, HttpEventSender(caller, "outbox-relay:test"), interval=0.01, **kwargs
        )
    finally:
        await client.aclose()


async def add_events(database: Database, count: int, **data: Any) -> list[str]:
    ids = []
    async with database.session() as session:
        for i in range(count):
            event = new_event(
                "learner.updated",
                district_id=DISTRICT,
                subject=f"learner/{i}",
                data={"n": i, **data},
            )
            await enqueue_event(session, OUTBOX, event)
            ids.append(str(event.id))
        await session.commit()
    return ids


async def unpublished(database: Database) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
        return int((await session.execute(query)).scalar_one())


async def drain(relay: OutboxRelay, database: Database, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while await unpublished(database):
            await relay.run_once()


async def test_committed_events_are_sent_once_and_marked(ingest: Ingest, db: Database) -> None:
    ids = await add_events(db, 5)
    async with relay_to(ingest, db) as relay:
        result = await relay.run_once()
        assert result.published == 5
        assert (await relay.run_once()).published == 0
    assert ingest.received == ids
    assert ingest.auth_headers[0].startswith("Bearer ")
    assert await unpublished(db) == 0


async def test_a_rolled_back_transaction_sends_nothing(ingest: Ingest, db: Database) -> None:
    async with db.session() as session:
        event = new_event("learner.updated", district_id=DISTRICT, subject="learner/x", data={})
        await enqueue_event(session, OUTBOX, event)
        await session.rollback()
    async with relay_to(ingest, db) as relay:
        assert (await relay.run_once()).published == 0
    assert ingest.received == []
    assert ingest.requests == 0


async def test_gateway_outage_keeps_rows_and_records_why(ingest: Ingest, db: Database) -> None:
    ids = await add_events(db, 3)
    ingest.mode = "down"
    async with relay_to(ingest, db) as relay:
        for _ in range(2):
            result = await relay.run_once()
            assert result.failed == 3 and result.published == 0
        async with db.session() as session:
            rows = (await session.execute(select(OUTBOX.c.attempts, OUTBOX.c.last_error))).all()
        assert {r.attempts for r in rows} == {2}
        assert all("503" in (r.last_error or "") for r in rows)
        ingest.mode = "ok"
        await drain(relay, db)
    assert ingest.received == ids


async def test_relay_cancelled_mid_batch_loses_nothing(ingest: Ingest, db: Database) -> None:
    ids = await add_events(db, 50)
    ingest.mode = "hang"
    async with relay_to(ingest, db, batch_size=20) as relay:
        task = asyncio.create_task(relay.run())
        await asyncio.wait_for(ingest.hanging.wait(), 5)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert await unpublished(db) == 50
    ingest.mode = "ok"
    # A new relay (as after a restart) picks up from the database alone.
    async with relay_to(ingest, db, batch_size=20) as relay:
        await drain(relay, db)
    assert set(ingest.received) == set(ids)
    assert len(ingest.received) == 50


async def test_one_rejected_event_does_not_hold_back_the_others(
    ingest: Ingest, db: Database
) -> None:
    good_before = await add_events(db, 2)
    bad = await add_events(db, 1, bad=True)
    good_after = await add_events(db, 2)
    ingest.mode = "reject-marked"
    async with relay_to(ingest, db) as relay:
        result = await relay.run_once()
    assert result.published == 4 and result.rejected == 1
    assert ingest.received == good_before + good_after
    async with db.session() as session:
        row = (await session.execute(select(OUTBOX).where(OUTBOX.c.id == uuid.UUID(bad[0])))).one()
    assert row.published_at is not None
    assert row.last_error.startswith("rejected: 422")


async def test_run_backs_off_then_resumes_after_outage(ingest: Ingest, db: Database) -> None:
    ids = await add_events(db, 10)
    ingest.mode = "down"
    async with relay_to(ingest, db) as relay:
        task = asyncio.create_task(relay.run())
        try:
            async with asyncio.timeout(5):
                while ingest.requests < 3:
                    await asyncio.sleep(0.01)
            ingest.mode = "ok"
            async with asyncio.timeout(10):
                while await unpublished(db):
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert ingest.received == ids


@pytest.mark.skipif(backend() != "postgresql", reason="SKIP LOCKED claims need PostgreSQL")
async def test_replicas_do_not_send_the_same_rows_at_once(ingest: Ingest, db: Database) -> None:
    ids = await add_events(db, 300)
    async with relay_to(ingest, db, batch_size=25) as a, relay_to(ingest, db, batch_size=25) as b:
        async with asyncio.timeout(20):
            while await unpublished(db):
                await asyncio.gather(a.run_once(), b.run_once())
    assert sorted(ingest.received) == sorted(ids)


def test_rejected_error_carries_the_status() -> None:
    assert RelayRejectedError(422, "bad").status == 422


async def test_service_app_runs_the_relay_when_enabled(ingest: Ingest, tmp_path: Path) -> None:
    test_db = await asyncio.to_thread(create_test_database, "relayapp", tmp_path)
    try:
        seed = Database(test_db.url)
        async with seed.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        ids = await add_events(seed, 3)
        await seed.dispose()
        settings = ServiceSettings(
            service_name="relaytest",
            database_url=test_db.url,
            environment="test",
            gateway_url=ingest.url,
            outbox_relay_interval_seconds=0.01,
        )
        app = create_service_app(settings, title="t", description="t", outbox=OUTBOX)
        async with app.router.lifespan_context(app), asyncio.timeout(10):
            while len(ingest.received) < 3:
                await asyncio.sleep(0.02)
        assert ingest.received == ids

        off = settings.model_copy(update={"outbox_relay": False})
        app = create_service_app(off, title="t", description="t", outbox=OUTBOX)
        async with app.router.lifespan_context(app):
            assert getattr(app.state, "outbox_relay_task", None) is None
    finally:
        await asyncio.to_thread(drop_test_database, test_db)


def test_an_idle_relay_backs_off_to_its_longest_pause() -> None:
    relay = OutboxRelay(
        Database("sqlite+aiosqlite:///:memory:"),
        OUTBOX,
        HttpEventSender(ServiceCaller("gateway", None, DEV_INTERNAL_TOKEN_SECRET), "t"),  # type: ignore[arg-type]
        interval=0.1,
        max_idle_interval=1.0,
    )
    delays = [relay._idle_delay(n) for n in range(1, 20)]
    assert delays[:10] == [0.1] * 10  # brisk right after activity
    assert delays[10] == 0.2 and delays[11] == 0.4  # then doubling
    assert delays[-1] == 1.0 and max(delays) == 1.0  # never beyond the longest pause
    assert delays == sorted(delays)


async def test_a_publish_wakes_an_idle_relay_at_once(ingest: Ingest, db: Database) -> None:
    # The idle relay would sleep a minute; the publish must wake it and the event arrive.
    async with relay_to(ingest, db, max_idle_interval=60.0) as relay:
        relay.interval = 60.0  # every pause is a minute unless something wakes it
        task = asyncio.create_task(relay.run())
        try:
            await asyncio.sleep(0.2)  # one empty pass, now pausing
            async with db.session() as session:
                event = new_event(
                    "learner.updated", district_id=DISTRICT, subject="learner/w", data={}
                )
                await publish_with(session, event)
                await session.commit()
            async with asyncio.timeout(10):
                while str(event.id) not in ingest.received:
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
