"""The gateway's demo seed (``make run``): the demo client and its endpoint, idempotently."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pathwise_devstack import testing as devstack_testing
from pathwise_gateway.clients.service import ClientAuthError, authenticate_client
from pathwise_gateway.events.models import webhook_endpoints
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DISTRICT,
    DEMO_ENDPOINT_ID,
    DEMO_WEBHOOK_SECRET,
    seed_demo,
)
from pathwise_gateway.webhooks.domain.signing import secret_key
from pathwise_shared.db import Database


@pytest.fixture
def seed_db(tmp_path: Path) -> Iterator[devstack_testing.TestDatabase]:
    db = devstack_testing.create_test_database("gateway_seed", tmp_path)
    MIGRATIONS.upgrade(db.url)
    yield db
    devstack_testing.drop_test_database(db)


async def _endpoints(url: str) -> list[dict[str, object]]:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.execute(select(webhook_endpoints))).mappings().all()
            return [dict(row) for row in rows]
    finally:
        await db.dispose()


async def test_seed_is_idempotent_and_follows_the_receiver(
    seed_db: devstack_testing.TestDatabase,
) -> None:
    first = await seed_demo(seed_db.url, "http://127.0.0.1:8010/hooks/demo")
    assert first == [
        f"gateway: demo integration client {DEMO_CLIENT_ID} created",
        "gateway: demo webhook endpoint created -> http://127.0.0.1:8010/hooks/demo",
    ]
    again = await seed_demo(seed_db.url, "http://127.0.0.1:8010/hooks/demo")
    assert again[1].startswith("gateway: demo webhook endpoint present")
    moved = await seed_demo(seed_db.url, "http://127.0.0.1:9123/hooks/demo")
    assert moved[0].endswith("already present")
    assert moved[1].startswith("gateway: demo webhook endpoint updated")
    [endpoint] = await _endpoints(seed_db.url)
    assert endpoint["id"] == DEMO_ENDPOINT_ID
    assert endpoint["district_id"] == DEMO_DISTRICT
    assert endpoint["url"] == "http://127.0.0.1:9123/hooks/demo"
    assert endpoint["enabled"] is True and endpoint["event_types"] == []
    assert endpoint["secret"] == DEMO_WEBHOOK_SECRET
    assert len(secret_key(DEMO_WEBHOOK_SECRET)) == 32

    db = Database(seed_db.url)
    try:
        async with db.session() as session:
            principal = await authenticate_client(session, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, None)
            assert principal.subject == f"client:{DEMO_CLIENT_ID}"
            assert principal.district_id == DEMO_DISTRICT
            assert "webhooks:manage" in principal.scopes
            with pytest.raises(ClientAuthError):
                await authenticate_client(session, DEMO_CLIENT_ID, "wrong", None)
    finally:
        await db.dispose()


async def test_without_a_receiver_only_the_client_is_seeded(
    seed_db: devstack_testing.TestDatabase,
) -> None:
    lines = await seed_demo(seed_db.url)
    assert lines == [f"gateway: demo integration client {DEMO_CLIENT_ID} created"]
    assert await _endpoints(seed_db.url) == []


def test_seed_runs_outside_an_event_loop(seed_db: devstack_testing.TestDatabase) -> None:
    # The launcher calls it with asyncio.run, before any service runs.
    assert asyncio.run(seed_demo(seed_db.url))[0].endswith("created")


async def test_production_gets_no_demo_client(
    seed_db: devstack_testing.TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHWISE_ENV", "production")
    lines = await seed_demo(seed_db.url, "http://127.0.0.1:8010/hooks/demo")
    assert lines == ["gateway: no demo integration client in production"]
    assert await _endpoints(seed_db.url) == []
    db = Database(seed_db.url)
    try:
        async with db.session() as session:
            with pytest.raises(ClientAuthError):
                await authenticate_client(session, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, None)
    finally:
        await db.dispose()
