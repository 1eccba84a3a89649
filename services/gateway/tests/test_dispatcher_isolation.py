"""Issue 11, findings 3 and 7: one slow endpoint must not delay any other delivery, an
acknowledged delivery is never sent again after a crash, and a retry is timed from the end of the
attempt before it.

The real gateway app (real database, its real ingest and webhook API) with its own dispatcher
switched off; each test runs real ``Dispatcher`` instances with short timeouts against a real
loopback receiver (aiohttp) that can answer at once, hang past the timeout, or fail once. The
receiver also plays pathways' ``POST /internal/events`` and ``POST /internal/events/batch`` (the
internal mastery feed).
"""

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update

from pathwise_devstack import testing as devstack_testing
from pathwise_devstack.fixtures import app_fixture, database_fixture
from pathwise_devstack.testing import (
    ServiceClient,
    gateway_with_hub,
    settings_beside,
)
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.events.models import event_deliveries
from pathwise_gateway.events.service.dispatcher import Dispatcher
from pathwise_gateway.events.service.webhook_http import open_webhook_session
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_gateway.webhooks.service.delivery import WEBHOOK_GUARD
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.events import new_event
from pathwise_shared.http import create_http_client

SYSTEM = Principal(subject="system:outbox-relay:assessment", kind="system")


# --- a real receiver ---------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str = ""
    # hook name -> how it answers: "ok", "hang" (until released), "fail-once" (503 then 200)
    modes: dict[str, str] = field(default_factory=dict)
    # (hook name or "internal", webhook-id or event id) -> monotonic arrival of every call
    calls: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    # (hook name, webhook-id) -> monotonic time each answer was sent
    answered: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    release: asyncio.Event = field(default_factory=asyncio.Event)
    # The internal feed: whether it takes batches (else 404, as a release without the route),
    # every batch's event ids and districts, and events to fail once ("503": that status for
    # the event; "missing": no outcome for it in the answer; "garbled": a status that is no
    # number).
    batch_route: bool = True
    batches: list[list[tuple[str, str]]] = field(default_factory=list)
    fail_once: dict[str, str] = field(default_factory=dict)

    def arrivals(self, name: str) -> dict[str, list[float]]:
        return {msg: times for (hook, msg), times in self.calls.items() if hook == name}


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def hooks(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        msg_id = request.headers.get("webhook-id", "")
        await request.read()
        key = (name, msg_id)
        state.calls[key].append(time.monotonic())
        mode = state.modes.get(name, "ok")
        if mode == "hang":
            await state.release.wait()
        status = 503 if mode == "fail-once" and len(state.calls[key]) == 1 else 200
        state.answered[key].append(time.monotonic())
        return web.Response(status=status, text=f"answer {status}")

    async def internal_events(request: web.Request) -> web.Response:
        envelope = await request.json()
        state.calls[("internal", str(envelope["id"]))].append(time.monotonic())
        return web.json_response({"status": "applied"})

    async def internal_batch(request: web.Request) -> web.Response:
        if not state.batch_route:
            raise web.HTTPNotFound()
        events = (await request.json())["events"]
        state.batches.append([(str(e["id"]), str(e["district_id"])) for e in events])
        results = []
        for event in events:
            event_id = str(event["id"])
            state.calls[("internal", event_id)].append(time.monotonic())
            failure = state.fail_once.pop(event_id, None)
            if failure == "missing":
                continue
            if failure == "503":
                results.append({"id": event_id, "status": 503, "type": "about:blank"})
                continue
            if failure == "garbled":
                results.append({"id": event_id, "status": "fine"})
                continue
            results.append({"id": event_id, "status": 200, "outcome": "applied"})
        return web.json_response({"results": results})

    app = web.Application()
    app.router.add_post("/hooks/{name}", hooks)
    app.router.add_post("/internal/events", internal_events)
    app.router.add_post("/internal/events/batch", internal_batch)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        state.release.set()
        await runner.cleanup()


# --- the gateway app, its dispatcher off ---------------------------------------------------------


isolation_db = database_fixture("gateway_dispatch", scope="module")


@pytest.fixture(scope="module")
def gw_settings(isolation_db: devstack_testing.TestDatabase, receiver: Receiver) -> GatewaySettings:
    return settings_beside(isolation_db, receiver.url)


# The tests run their own dispatchers, with their own settings.
gateway = app_fixture(
    gateway_with_hub(EventHubSettings(environment="test", allow_loopback=True, dispatcher=False)),
    MIGRATIONS,
    "gw_settings",
    database="isolation_db",
    scope="module",
)


@pytest.fixture
async def clean_queue(gateway: ServiceClient, receiver: Receiver) -> AsyncIterator[None]:
    """Each test starts with an empty queue and a receiver that answers at once."""
    yield
    receiver.release.set()
    receiver.modes.clear()
    receiver.batch_route = True
    receiver.batches.clear()
    receiver.fail_once.clear()
    async with gateway.app.state.db.session() as session, session.begin():
        await session.execute(
            update(event_deliveries)
            .where(event_deliveries.c.status == "pending")
            .values(status="failed", next_attempt_at=None)
        )
    receiver.release = asyncio.Event()


def settings(**overrides: Any) -> EventHubSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "allow_loopback": True,
        "poll_seconds": 0.02,
        "jitter": 0.0,
        **overrides,
    }
    return EventHubSettings(**values)


@contextlib.asynccontextmanager
async def running_dispatcher(
    gateway: ServiceClient, receiver: Receiver, hub: EventHubSettings
) -> AsyncIterator[tuple[Dispatcher, "asyncio.Task[None]"]]:
    """A dispatcher as the gateway runs it: aiohttp for endpoints, httpx for pathways."""
    webhooks = open_webhook_session(
        timeout_seconds=hub.timeout_seconds,
        connect_timeout_seconds=min(hub.timeout_seconds, 5.0),
        max_connections=hub.concurrency,
    )
    client = create_http_client(receiver.url, timeout=hub.timeout_seconds, retries=0)
    secret = gateway.app.state.settings.internal_token_secret.get_secret_value()
    internal = {"pathways": ServiceCaller("pathways", client, secret)}
    dispatcher = Dispatcher(gateway.app.state.db, hub, webhooks, internal, guard=WEBHOOK_GUARD)
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher, task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()
        await webhooks.close()


async def endpoint(
    gateway: ServiceClient,
    gw_settings: GatewaySettings,
    receiver: Receiver,
    district: uuid.UUID,
    name: str,
    mode: str,
) -> uuid.UUID:
    principal = Principal(
        subject=f"client-{name}-{uuid.uuid4().hex[:6]}",
        kind="client",
        district_id=district,
        scopes=frozenset({"webhooks:manage"}),
    )
    issued = issue_access_token(
        principal,
        key=gw_settings.token_signing_key.get_secret_value(),
        issuer=gw_settings.token_issuer,
        audience=gw_settings.token_audience,
        ttl_seconds=300,
    )
    response = await gateway.post(
        "/v1/webhooks",
        json={"url": f"{receiver.url}/hooks/{name}", "event_types": ["mastery.changed"]},
        headers={"Authorization": f"Bearer {issued.access_token}"},
    )
    assert response.status_code == 201, response.text
    receiver.modes[name] = mode
    return uuid.UUID(response.json()["id"])


def mastery(district: uuid.UUID) -> Any:
    return new_event(
        "mastery.changed",
        district_id=district,
        subject="learner/x",
        data={
            "learner_id": str(uuid.uuid4()),
            "skill_code": "3.NF.A.1",
            "p_known": 0.97,
            "mastered": True,
            "previous_mastered": False,
            "level": "mastered",
        },
    )


async def publish(gateway: ServiceClient, *events: Any) -> None:
    body = {"events": [e.model_dump(mode="json") for e in events]}
    response = await gateway.post("/internal/events", json=body, headers=gateway.as_(SYSTEM))
    assert response.status_code == 202, response.text


async def until(predicate: Any, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.02)


async def statuses(gateway: ServiceClient, endpoint_id: uuid.UUID) -> dict[str, str]:
    d = event_deliveries
    async with gateway.app.state.db.session() as session:
        rows = (
            await session.execute(
                select(d.c.event_id, d.c.status).where(d.c.endpoint_id == endpoint_id)
            )
        ).all()
    return {str(row.event_id): row.status for row in rows}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


# --- isolation ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("clean_queue")
async def test_a_hanging_endpoint_delays_neither_a_healthy_one_nor_the_internal_feed(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    """A backlog to an endpoint that never answers (each attempt times out after 3 s) beside a
    healthy endpoint and pathways' mastery feed: those two get every event within a small bound,
    while the hanging one only times out. Before per-endpoint budgets the dispatcher held its
    whole concurrency (here 32) on the hanging endpoint and claimed nothing until it timed out."""
    district = uuid.uuid4()
    await endpoint(gateway, gw_settings, receiver, district, "hanging", "hang")
    await endpoint(gateway, gw_settings, receiver, district, "healthy", "ok")
    hub = settings(timeout_seconds=3.0, concurrency=32, endpoint_concurrency=8, batch_size=50)
    async with running_dispatcher(gateway, receiver, hub):
        # The backlog: every one of these also goes to the hanging endpoint.
        await publish(gateway, *(mastery(district) for _ in range(60)))
        await asyncio.sleep(0.5)  # the hanging endpoint now holds all it may
        published: dict[str, float] = {}
        for _ in range(20):
            event = mastery(district)
            published[str(event.id)] = time.monotonic()
            await publish(gateway, event)
            await asyncio.sleep(0.05)

        async def all_arrived() -> bool:
            healthy, internal = receiver.arrivals("healthy"), receiver.arrivals("internal")
            return all(e in healthy and e in internal for e in published)

        await until(all_arrived, timeout=15)
        healthy, internal = receiver.arrivals("healthy"), receiver.arrivals("internal")
        healthy_lag = [healthy[e][0] - at for e, at in published.items()]
        internal_lag = [internal[e][0] - at for e, at in published.items()]
        assert p95(healthy_lag) < 1.0, sorted(healthy_lag)
        assert p95(internal_lag) < 1.0, sorted(internal_lag)
        # The hanging endpoint never had more than its own budget in flight.
        hanging = receiver.arrivals("hanging")
        assert 0 < len(hanging) <= hub.endpoint_concurrency * 2


# --- crash safety ------------------------------------------------------------------------------


@pytest.mark.usefixtures("clean_queue")
async def test_acknowledged_deliveries_are_stored_at_once_and_never_sent_again(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    """Deliveries claimed together: some acknowledged at once, some hanging. The acknowledged ones
    are stored as succeeded while the others still hang (so a kill -9 then loses none of them);
    after that dispatcher is gone, the next one sends the hanging ones again, only once their
    claim lease has ended, and never an acknowledged one. Before, outcomes were written when the
    whole batch finished, so a crash re-sent all of them."""
    district = uuid.uuid4()
    healthy_id = await endpoint(gateway, gw_settings, receiver, district, "acked", "ok")
    hanging_id = await endpoint(gateway, gw_settings, receiver, district, "stuck", "hang")
    lease = 3.0
    hub = settings(timeout_seconds=30.0, lease_seconds=lease, batch_size=200)
    events = [mastery(district) for _ in range(10)]
    await publish(gateway, *events)
    ids = {str(e.id) for e in events}

    async with running_dispatcher(gateway, receiver, hub):
        claimed_at = time.monotonic()

        async def acknowledged_and_stored() -> bool:
            stored = await statuses(gateway, healthy_id)
            return set(receiver.arrivals("acked")) >= ids and all(
                stored[e] == "succeeded" for e in ids
            )

        # The stuck ones are still in flight (their timeout is 30 s): a crash now loses nothing.
        await until(acknowledged_and_stored, timeout=5)
        assert set(receiver.arrivals("stuck")) == ids
        assert set((await statuses(gateway, hanging_id)).values()) == {"pending"}
    # The first dispatcher is gone; the receiver answers the stuck endpoint again.
    receiver.release.set()
    receiver.modes["stuck"] = "ok"
    async with running_dispatcher(gateway, receiver, settings(lease_seconds=lease)):

        async def stuck_delivered() -> bool:
            stored = await statuses(gateway, hanging_id)
            return all(stored[e] == "succeeded" for e in ids)

        await until(stuck_delivered, timeout=lease + 10)
    for msg, times in receiver.arrivals("acked").items():
        assert len(times) == 1, f"acknowledged delivery {msg} was sent {len(times)} times"
    for msg, times in receiver.arrivals("stuck").items():
        assert len(times) == 2, (msg, times)
        # Not before the dead dispatcher's claim ran out.
        assert times[1] >= claimed_at + lease - 0.2, (times[1] - claimed_at, lease)


# --- retry timing ------------------------------------------------------------------------------


@pytest.mark.usefixtures("clean_queue")
async def test_the_second_attempt_is_timed_from_the_end_of_the_first(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    """Schedule: immediately, then 1 s. An endpoint that answers 503 once gets its second attempt
    1 s after that answer, even though deliveries claimed with it hang for 2 s. Before, the
    outcome (and so the retry's time) was written when the slowest of the batch finished: 3 s."""
    district = uuid.uuid4()
    await endpoint(gateway, gw_settings, receiver, district, "flaky", "fail-once")
    await endpoint(gateway, gw_settings, receiver, district, "slow", "hang")
    hub = settings(timeout_seconds=2.0, retry_schedule=(0, 1.0), lease_seconds=30)
    events = [mastery(district) for _ in range(5)]
    await publish(gateway, *events)
    async with running_dispatcher(gateway, receiver, hub):

        async def retried() -> bool:
            flaky = receiver.arrivals("flaky")
            return all(len(flaky.get(str(e.id), [])) >= 2 for e in events)

        await until(retried, timeout=10)
    for event in events:
        key = ("flaky", str(event.id))
        gap = receiver.calls[key][1] - receiver.answered[key][0]
        assert 0.9 <= gap < 1.6, gap


# --- the internal feed in batches --------------------------------------------------------------


async def internal_deliveries(
    gateway: ServiceClient, event_ids: list[str]
) -> dict[str, tuple[str, int]]:
    """Pathways' deliveries of these events: event id -> (status, attempts)."""
    d = event_deliveries
    wanted = [uuid.UUID(e) for e in event_ids]
    async with gateway.app.state.db.session() as session:
        rows = (
            await session.execute(
                select(d.c.event_id, d.c.status, d.c.attempt_count).where(
                    d.c.subscriber == "pathways", d.c.event_id.in_(wanted)
                )
            )
        ).all()
    return {str(row.event_id): (row.status, row.attempt_count) for row in rows}


@pytest.mark.usefixtures("clean_queue")
async def test_the_internal_feed_goes_in_batches_of_one_district_each_event_with_its_own_outcome(
    gateway: ServiceClient, receiver: Receiver
) -> None:
    """A backlog of two districts' events to pathways goes in batches, never mixing districts
    (the request speaks for one). Each event keeps its own outcome: one answered 503 inside an
    otherwise successful batch, one the answer leaves out and one whose status is garbled, are
    retried alone and delivered on their second attempt; the others are delivered once."""
    first, second = uuid.uuid4(), uuid.uuid4()
    events = [mastery(first) for _ in range(30)] + [mastery(second) for _ in range(12)]
    ids = [str(e.id) for e in events]
    receiver.fail_once[ids[3]] = "503"
    receiver.fail_once[ids[35]] = "missing"
    receiver.fail_once[ids[10]] = "garbled"
    hub = settings(retry_schedule=(0, 0.2), lease_seconds=30)
    await publish(gateway, *events)  # before the dispatcher runs: one claim finds them all
    async with running_dispatcher(gateway, receiver, hub):

        async def delivered() -> bool:
            found = await internal_deliveries(gateway, ids)
            return len(found) == len(ids) and all(s == "succeeded" for s, _ in found.values())

        await until(delivered, timeout=10)
    found = await internal_deliveries(gateway, ids)
    attempts = {event_id: count for event_id, (_, count) in found.items()}
    assert attempts.pop(ids[3]) == 2
    assert attempts.pop(ids[35]) == 2
    assert attempts.pop(ids[10]) == 2
    assert set(attempts.values()) == {1}
    ours = [b for b in receiver.batches if {event for event, _ in b} & set(ids)]
    assert max(len(b) for b in ours) > 1, [len(b) for b in ours]
    for batch in ours:
        assert len({district for _, district in batch}) == 1, batch
    arrivals = receiver.arrivals("internal")
    assert all(len(arrivals[e]) == (2 if e in (ids[3], ids[10], ids[35]) else 1) for e in ids)


@pytest.mark.usefixtures("clean_queue")
async def test_a_subscriber_without_the_batch_route_gets_its_events_one_by_one(
    gateway: ServiceClient, receiver: Receiver
) -> None:
    """A subscriber of an older release answers the batch route 404 (a rolling upgrade): the
    same deliveries go to its ``POST /internal/events`` one by one, in the same attempt, and
    every one is delivered once."""
    receiver.batch_route = False
    district = uuid.uuid4()
    events = [mastery(district) for _ in range(10)]
    ids = [str(e.id) for e in events]
    await publish(gateway, *events)
    async with running_dispatcher(gateway, receiver, settings(lease_seconds=30)):

        async def delivered() -> bool:
            found = await internal_deliveries(gateway, ids)
            return len(found) == len(ids) and all(s == "succeeded" for s, _ in found.values())

        await until(delivered, timeout=10)
    assert {count for _, count in (await internal_deliveries(gateway, ids)).values()} == {1}
    assert receiver.batches == []
    assert all(len(receiver.arrivals("internal")[e]) == 1 for e in ids)
