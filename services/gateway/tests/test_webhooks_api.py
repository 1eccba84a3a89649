"""Events and webhooks in the real gateway app (in-process, real database) against a real
loopback receiver that verifies our signatures with the ``standardwebhooks`` library.

The receiver also answers ``/internal/events`` and ``/internal/roster/changes``: the gateway's
pathways and profiles URLs point at it, so these tests see exactly what the gateway sends there
(the cross-service tests in tests/test_events_*.py use the real services).
"""

import asyncio
import contextlib
import json
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from standardwebhooks import Webhook, WebhookVerificationError

from pathwise_devstack import testing as devstack_testing
from pathwise_devstack.fixtures import app_fixture, database_fixture
from pathwise_devstack.testing import (
    ServiceClient,
    gateway_with_hub,
    settings_beside,
)
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.events import repository as events_repository
from pathwise_gateway.events.domain.catalog import INTERNAL_SUBSCRIPTIONS, subscribers_of
from pathwise_gateway.events.models import event_deliveries, event_log, webhook_endpoints
from pathwise_gateway.events.service.dispatcher import Dispatcher
from pathwise_gateway.events.service.hub import EventHub
from pathwise_gateway.events.service.webhook_http import open_webhook_session
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_gateway.webhooks.service.delivery import WEBHOOK_GUARD
from pathwise_shared.auth import Principal
from pathwise_shared.events import new_event
from pathwise_shared.timeutil import utcnow

DISTRICT = uuid.uuid4()
OTHER_DISTRICT = uuid.uuid4()
SYSTEM = Principal(subject="system:outbox-relay:assessment", kind="system")


# --- a real receiver ---------------------------------------------------------------------------


@dataclass
class Hook:
    """What one receiver path does: its secret(s), and how it answers."""

    secrets: list[str] = field(default_factory=list)
    answer: Callable[[str, int], tuple[int, dict[str, str]]] = lambda _id, _n: (200, {})
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # verified 2xx
    calls: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    hang: asyncio.Event | None = None


@dataclass
class Receiver:
    url: str = ""
    hooks: dict[str, Hook] = field(default_factory=dict)
    internal: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    roster: list[dict[str, Any]] = field(default_factory=list)

    def hook(self, name: str) -> tuple[str, Hook]:
        self.hooks[name] = Hook()
        return f"{self.url}/hooks/{name}", self.hooks[name]


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def hooks(request: web.Request) -> web.Response:
        hook = state.hooks[request.match_info["name"]]
        body = await request.read()
        msg_id = request.headers.get("webhook-id", "")
        hook.calls[msg_id] += 1
        if hook.hang is not None:
            await hook.hang.wait()
        try:
            payload = Webhook(hook.secrets[0]).verify(body, dict(request.headers))
        except (WebhookVerificationError, IndexError):
            hook.bad_signatures += 1
            return web.Response(status=401, text="bad signature")
        status, headers = hook.answer(msg_id, hook.calls[msg_id])
        if 200 <= status < 300:
            hook.received.append((msg_id, payload))
        return web.Response(status=status, headers=headers, text=f"answer {status}")

    async def internal_events(request: web.Request) -> web.Response:
        state.internal.append((request.headers.get("Authorization", ""), await request.json()))
        return web.json_response({"status": "applied"})

    async def roster_changes(request: web.Request) -> web.Response:
        state.roster.append(await request.json())
        return web.json_response({"applied": True})

    app = web.Application()
    app.router.add_post("/hooks/{name}", hooks)
    app.router.add_post("/internal/events", internal_events)
    app.router.add_post("/internal/roster/changes", roster_changes)
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


# --- the gateway app -----------------------------------------------------------------------------

HUB_SETTINGS = EventHubSettings(
    environment="test",
    allow_loopback=True,
    retry_scale=0.00001,  # the whole 8-step schedule in about one second
    jitter=0.2,
    poll_seconds=0.02,
    lease_seconds=1.0,
)


events_db = database_fixture("gateway_events", scope="module")


@pytest.fixture(scope="module")
def gw_settings(events_db: devstack_testing.TestDatabase, receiver: Receiver) -> GatewaySettings:
    return settings_beside(events_db, receiver.url)


gateway = app_fixture(
    gateway_with_hub(HUB_SETTINGS), MIGRATIONS, "gw_settings", database="events_db", scope="module"
)


def bearer(settings: GatewaySettings, principal: Principal) -> dict[str, str]:
    issued = issue_access_token(
        principal,
        key=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=300,
    )
    return {"Authorization": f"Bearer {issued.access_token}"}


def client_principal(
    district: uuid.UUID = DISTRICT, scopes: tuple[str, ...] = ("webhooks:manage",), name: str = ""
) -> Principal:
    return Principal(
        subject=name or f"client-{uuid.uuid4().hex[:8]}",
        kind="client",
        district_id=district,
        scopes=frozenset(scopes),
    )


@pytest.fixture(scope="module")
def owner(gw_settings: GatewaySettings) -> dict[str, str]:
    return bearer(gw_settings, client_principal(name="client-owner"))


async def publish(gateway: ServiceClient, *events: Any) -> dict[str, Any]:
    body = {"events": [e.model_dump(mode="json") for e in events]}
    response = await gateway.post("/internal/events", json=body, headers=gateway.as_(SYSTEM))
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def mastery(district: uuid.UUID = DISTRICT, **extra: Any) -> Any:
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
            **extra,
        },
    )


async def create_endpoint(
    gateway: ServiceClient, headers: dict[str, str], url: str, hook: Hook, **body: Any
) -> dict[str, Any]:
    response = await gateway.post("/v1/webhooks", json={"url": url, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    hook.secrets = [created["secret"]]
    return created


async def until(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await _value(predicate()):
            await asyncio.sleep(0.02)


async def _value(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


def hub(gateway: ServiceClient) -> EventHub:
    result: EventHub = gateway.app.state.event_hub
    return result


async def scalar(gateway: ServiceClient, query: Any) -> Any:
    async with gateway.app.state.db.session() as session:
        return (await session.execute(query)).scalar_one()


# --- ingest and internal fan-out ---------------------------------------------------------------


async def test_ingest_is_idempotent_on_the_event_id(gateway: ServiceClient) -> None:
    events = [mastery(), mastery(), mastery()]
    assert await publish(gateway, *events) == {"accepted": 3, "duplicates": 0}
    assert await publish(gateway, *events) == {"accepted": 0, "duplicates": 3}
    single = await gateway.post(
        "/internal/events", json=events[0].model_dump(mode="json"), headers=gateway.as_(SYSTEM)
    )
    assert single.status_code == 202 and single.json()["duplicates"] == 1
    ids = [e.id for e in events]
    assert await scalar(gateway, select(func.count()).where(event_log.c.id.in_(ids))) == 3


async def test_ingest_is_for_services_only_and_validates(gateway: ServiceClient) -> None:
    user = Principal(subject="u", kind="user", district_id=DISTRICT, roles=frozenset({"teacher"}))
    body = {"events": [mastery().model_dump(mode="json")]}
    assert (
        await gateway.post("/internal/events", json=body, headers=gateway.as_(user))
    ).status_code == 403
    assert (await gateway.post("/internal/events", json=body)).status_code == 401
    bad = await gateway.post(
        "/internal/events", json={"events": [{"id": "nope"}]}, headers=gateway.as_(SYSTEM)
    )
    assert bad.status_code == 422
    too_many = {"events": [mastery().model_dump(mode="json")] * 1001}
    response = await gateway.post("/internal/events", json=too_many, headers=gateway.as_(SYSTEM))
    assert response.status_code == 422


async def test_mastery_changed_reaches_each_subscriber_once(
    gateway: ServiceClient, receiver: Receiver
) -> None:
    # Every service stands at the receiver here: one delivery per subscribing service.
    subscribers = INTERNAL_SUBSCRIPTIONS["mastery.changed"]
    event = mastery()
    await publish(gateway, event)
    await publish(gateway, event)

    def delivered() -> list[tuple[str, dict[str, Any]]]:
        return [(auth, body) for auth, body in receiver.internal if body["id"] == str(event.id)]

    await until(lambda: len(delivered()) >= len(subscribers))
    await asyncio.sleep(0.1)
    seen = delivered()
    assert len(seen) == len(subscribers) >= 1
    auth, body = seen[0]
    assert auth.startswith("Bearer ") and body["data"]["skill_code"] == "3.NF.A.1"
    other = new_event("learner.updated", district_id=DISTRICT, subject="l", data={})
    await publish(gateway, other)
    await asyncio.sleep(0.1)
    assert all(body["id"] != str(other.id) for _, body in receiver.internal)


async def test_a_mastery_change_that_is_no_milestone_reaches_only_pathways(
    gateway: ServiceClient, receiver: Receiver
) -> None:
    """Profiles' subscription carries a predicate (transitions to mastered): the hub makes no
    delivery to profiles for the common answer that only moves P(known)."""
    event = mastery(mastered=False, previous_mastered=False, p_known=0.4)
    milestone = mastery()
    await publish(gateway, event)
    await publish(gateway, milestone)

    def delivered(which: Any) -> list[dict[str, Any]]:
        return [body for _, body in receiver.internal if body["id"] == str(which.id)]

    await until(lambda: len(delivered(milestone)) >= 2 and len(delivered(event)) >= 1)
    await asyncio.sleep(0.1)
    assert len(delivered(event)) == len(subscribers_of("mastery.changed", event.data)) == 1
    assert len(delivered(milestone)) == 2


async def test_event_catalog_lists_types_with_schemas(
    gateway: ServiceClient, owner: dict[str, str]
) -> None:
    response = await gateway.get("/v1/events/types", headers=owner)
    assert response.status_code == 200
    items = {item["type"]: item for item in response.json()["items"]}
    assert items["mastery.changed"]["schema"]["type"] == "object"
    assert (await gateway.get("/v1/events/types")).status_code == 401


async def test_the_sequence_is_stored_and_sent_in_the_webhook_body(
    gateway: ServiceClient, receiver: Receiver, owner: dict[str, str]
) -> None:
    """docs/events.md, "Order": the envelope's ``sequence`` and ``previous_event_id`` reach the
    event log and the district's receiver unchanged; an event from before sequences existed (an
    old outbox row relayed after the upgrade) is still accepted, with ``sequence`` null."""
    url, hook = receiver.hook("ordered")
    await create_endpoint(gateway, owner, url, hook, event_types=["learner.flagged"])
    flagged = {"learner_id": str(uuid.uuid4())}
    first = new_event("learner.flagged", district_id=DISTRICT, subject="s/1", data=flagged)
    first = first.model_copy(update={"sequence": 6})
    second = new_event("learner.flagged", district_id=DISTRICT, subject="s/1", data=flagged)
    second = second.model_copy(update={"sequence": 7, "previous_event_id": first.id})
    legacy = new_event("learner.flagged", district_id=DISTRICT, subject="s/2", data=flagged)
    await publish(gateway, first, second, legacy)
    await until(lambda: len(hook.received) == 3)
    bodies = {body["id"]: body for _, body in hook.received}
    assert (bodies[str(second.id)]["sequence"], bodies[str(second.id)]["previous_event_id"]) == (
        7,
        str(first.id),
    )
    assert bodies[str(first.id)]["sequence"] == 6
    assert bodies[str(legacy.id)]["sequence"] is None
    stored = await scalar(gateway, select(event_log.c.sequence).where(event_log.c.id == second.id))
    assert stored == 7
    # The catalog publishes the envelope, ordering fields included.
    catalog = (await gateway.get("/v1/events/types", headers=owner)).json()
    assert {"sequence", "previous_event_id", "subject"} <= set(catalog["envelope"]["properties"])


# --- endpoints API -------------------------------------------------------------------------------


async def test_endpoint_lifecycle_and_scoping(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings, owner: dict[str, str]
) -> None:
    url, hook = receiver.hook("lifecycle")
    created = await create_endpoint(
        gateway, owner, url, hook, event_types=["mastery.changed"], description="SIS"
    )
    endpoint_id = created["id"]
    assert created["secret"].startswith("whsec_") and created["enabled"]
    listed = (await gateway.get("/v1/webhooks", headers=owner)).json()["items"]
    assert endpoint_id in [e["id"] for e in listed] and "secret" not in listed[0]
    patched = await gateway.patch(
        f"/v1/webhooks/{endpoint_id}", json={"description": "new", "enabled": False}, headers=owner
    )
    assert patched.status_code == 200
    assert patched.json()["description"] == "new" and not patched.json()["enabled"]

    other_client = bearer(gw_settings, client_principal())
    other_district = bearer(gw_settings, client_principal(OTHER_DISTRICT))
    for headers in (other_client, other_district):
        assert (
            await gateway.get(f"/v1/webhooks/{endpoint_id}", headers=headers)
        ).status_code == 404
    no_scope = bearer(gw_settings, client_principal(scopes=("roster:read",)))
    assert (await gateway.get("/v1/webhooks", headers=no_scope)).status_code == 403
    admin = Principal(
        subject="a", kind="user", district_id=DISTRICT, roles=frozenset({"district_admin"})
    )
    assert (
        await gateway.get("/v1/webhooks", headers=bearer(gw_settings, admin))
    ).status_code == 403

    deleted = await gateway.delete(f"/v1/webhooks/{endpoint_id}", headers=owner)
    assert deleted.status_code == 204
    assert (await gateway.get(f"/v1/webhooks/{endpoint_id}", headers=owner)).status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"url": "http://10.0.0.1/hook"}, 422),
        ({"url": "http://169.254.169.254/latest"}, 422),
        ({"url": "ftp://example.com/x"}, 422),
        ({"url": "https://example.com/x", "event_types": ["no.such_type"]}, 422),
        ({"url": "https://example.com/x", "event_types": ["webhook.test"]}, 422),
        ({"url": "https://example.com/x", "extra": 1}, 422),
        ({"url": "x" * 3000}, 422),
        ({}, 422),
    ],
)
async def test_bad_endpoint_input_is_refused(
    gateway: ServiceClient, owner: dict[str, str], body: dict[str, Any], status: int
) -> None:
    response = await gateway.post("/v1/webhooks", json=body, headers=owner)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_bad_ids_and_cursors_are_client_errors(
    gateway: ServiceClient, owner: dict[str, str]
) -> None:
    assert (await gateway.get("/v1/webhooks/not-a-uuid", headers=owner)).status_code == 422
    assert (await gateway.get("/v1/webhooks?cursor=@@@", headers=owner)).status_code == 400
    missing = f"/v1/webhooks/{uuid.uuid4()}"
    assert (await gateway.post(f"{missing}/test", headers=owner)).status_code == 404
    null = await gateway.patch(missing, json={"url": None}, headers=owner)
    # url cannot be cleared: an explicit null is refused by the schema, before any lookup.
    assert null.status_code == 422
    assert null.json()["errors"][0]["field"] == "body.url"
    flag = await gateway.post(
        f"{missing}/secret/rotate", json={"overlap_seconds": False}, headers=owner
    )
    assert flag.status_code == 422  # a boolean is not a number of seconds
    recover = await gateway.post(f"{missing}/recover", json={"since": 0}, headers=owner)
    assert recover.status_code == 422  # nor is a number a timestamp


# --- deliveries ------------------------------------------------------------------------------------


async def test_delivery_is_signed_thin_and_keyed_by_event_id(
    gateway: ServiceClient, receiver: Receiver, owner: dict[str, str]
) -> None:
    url, hook = receiver.hook("signed")
    await create_endpoint(gateway, owner, url, hook, event_types=["mastery.changed"])
    event = mastery(accommodations=[{"term": "extended time"}])
    await publish(
        gateway, event, new_event("learner.flagged", district_id=DISTRICT, subject="l", data={})
    )
    await publish(gateway, mastery(OTHER_DISTRICT))
    await until(lambda: hook.received)
    await asyncio.sleep(0.1)
    assert len(hook.received) == 1
    msg_id, payload = hook.received[0]
    assert msg_id == str(event.id) and payload["type"] == "mastery.changed"
    assert "accommodations" not in payload["data"]
    assert payload["data"]["p_known"] == 0.97
    assert hook.bad_signatures == 0


async def test_flaky_receiver_gets_every_event_exactly_once_after_dedupe(
    gateway: ServiceClient, receiver: Receiver, owner: dict[str, str]
) -> None:
    url, hook = receiver.hook("flaky")
    rng = random.Random(7)

    refused: set[str] = set()

    def answer(msg_id: str, nth: int) -> tuple[int, dict[str, str]]:
        # Fails 30% of the time (never more than four times for one message: bounded test).
        if nth <= 4 and rng.random() < 0.3:
            refused.add(msg_id)
            return rng.choice([500, 502, 503, 429]), {}
        return 200, {}

    hook.answer = answer
    created = await create_endpoint(gateway, owner, url, hook, event_types=["learner.updated"])
    events = [
        new_event(
            "learner.updated",
            district_id=DISTRICT,
            subject=f"l/{i}",
            data={"learner_id": str(uuid.uuid4())},
        )
        for i in range(150)
    ]
    for chunk in range(0, 150, 50):
        await publish(gateway, *events[chunk : chunk + 50])
    expected = {str(e.id) for e in events}
    await until(lambda: {m for m, _ in hook.received} >= expected, timeout=30)
    assert {m for m, _ in hook.received} == expected
    assert sum(hook.calls.values()) > len(expected)  # some really failed and were retried

    async def pending() -> int:
        page = await gateway.get(
            f"/v1/webhooks/{created['id']}/deliveries?status=pending", headers=owner
        )
        return len(page.json()["items"])

    await until(lambda: _eq(pending(), 0))
    # The attempt log has the failures, with status and excerpt. The message is one the receiver
    # refused: a message sent twice is not always one (with this module's 1 s lease, a loaded
    # machine can let a claim lapse and send an accepted message again: at least once).
    retried = next(m for m in hook.calls if m in refused)
    async with gateway.app.state.db.session() as session:
        delivery_id = (
            await session.execute(
                select(event_deliveries.c.id).where(
                    event_deliveries.c.event_id == uuid.UUID(retried),
                    event_deliveries.c.endpoint_id == uuid.UUID(created["id"]),
                )
            )
        ).scalar_one()
    detail = (
        await gateway.get(f"/v1/webhooks/{created['id']}/deliveries/{delivery_id}", headers=owner)
    ).json()
    assert detail["status"] == "succeeded"
    attempts = detail["attempts"]
    assert len(attempts) == hook.calls[retried]
    assert any(not a["succeeded"] and a["status_code"] >= 429 for a in attempts)
    assert any(
        a["response_excerpt"] and a["response_excerpt"].startswith("answer") for a in attempts
    )
    assert all(a["latency_ms"] >= 0 for a in attempts)


async def test_redirects_are_failures_and_410_disables_with_an_event(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    headers = bearer(gw_settings, client_principal(name="client-gone"))
    watcher_url, watcher = receiver.hook("watcher")
    await create_endpoint(
        gateway, headers, watcher_url, watcher, event_types=["webhook.endpoint_disabled"]
    )
    redirect_url, redirect = receiver.hook("redirect")
    redirect.answer = lambda _m, _n: (302, {"Location": f"{receiver.url}/hooks/watcher"})
    created_redirect = await create_endpoint(
        gateway, headers, redirect_url, redirect, event_types=["pathway.planned"]
    )
    gone_url, gone = receiver.hook("gone")
    gone.answer = lambda _m, _n: (410, {})
    created = await create_endpoint(
        gateway, headers, gone_url, gone, event_types=["pathway.planned"]
    )
    await publish(gateway, new_event("pathway.planned", district_id=DISTRICT, subject="l", data={}))
    await until(lambda: watcher.received)
    _, disabled = watcher.received[0]
    assert disabled["type"] == "webhook.endpoint_disabled"
    assert disabled["data"]["endpoint_id"] == created["id"] and disabled["data"]["reason"] == "gone"
    # The gateway numbers its own events too: the first of this endpoint's subject.
    assert (disabled["subject"], disabled["sequence"], disabled["previous_event_id"]) == (
        f"webhook_endpoint/{created['id']}",
        1,
        None,
    )
    endpoint = (await gateway.get(f"/v1/webhooks/{created['id']}", headers=headers)).json()
    assert not endpoint["enabled"] and endpoint["disabled_reason"] == "gone"
    # The redirect was never followed: the watcher saw only the disabled event.
    await until(lambda: sum(redirect.calls.values()) >= 3)
    assert len(watcher.received) == 1
    deliveries = (
        await gateway.get(f"/v1/webhooks/{created_redirect['id']}/deliveries", headers=headers)
    ).json()["items"]
    assert deliveries[0]["last_status_code"] == 302 and deliveries[0]["status"] != "succeeded"


async def test_five_days_of_failure_disables_the_endpoint(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    headers = bearer(gw_settings, client_principal(name="client-failing"))
    url, hook = receiver.hook("failing")
    hook.answer = lambda _m, _n: (500, {})
    created = await create_endpoint(gateway, headers, url, hook, event_types=["learner.flagged"])
    async with gateway.app.state.db.session() as session, session.begin():
        await session.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id == uuid.UUID(created["id"]))
            .values(failing_since=utcnow() - timedelta(days=5, minutes=1))
        )
    await publish(gateway, new_event("learner.flagged", district_id=DISTRICT, subject="l", data={}))

    async def disabled() -> bool:
        body = (await gateway.get(f"/v1/webhooks/{created['id']}", headers=headers)).json()
        return bool(body["disabled_reason"] == "failing")

    await until(disabled)
    count = await scalar(
        gateway,
        select(func.count()).where(
            event_log.c.event_type == "webhook.endpoint_disabled",
            event_log.c.subject == f"webhook_endpoint/{created['id']}",
        ),
    )
    assert count == 1


async def test_failed_list_replay_recover_and_test_send(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    headers = bearer(gw_settings, client_principal(name="client-replay"))
    url, hook = receiver.hook("replay")
    broken = True
    hook.answer = lambda _m, _n: (503, {}) if broken else (200, {})
    created = await create_endpoint(gateway, headers, url, hook, event_types=["learner.deleted"])
    base = f"/v1/webhooks/{created['id']}"
    start = datetime.now(UTC) - timedelta(seconds=1)
    events = [
        new_event("learner.deleted", district_id=DISTRICT, subject="l", data={}) for _ in range(3)
    ]
    await publish(gateway, *events)

    async def failed_count() -> int:
        items = (await gateway.get(f"{base}/deliveries?status=failed", headers=headers)).json()[
            "items"
        ]
        return len(items)

    await until(lambda: _eq(failed_count(), 3), timeout=20)
    failed = (await gateway.get(f"{base}/deliveries?status=failed&limit=1", headers=headers)).json()
    assert len(failed["items"]) == 1 and failed["next_cursor"]
    broken = False
    first = failed["items"][0]
    replayed = await gateway.post(f"{base}/deliveries/{first['id']}/replay", headers=headers)
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    await until(lambda: len(hook.received) == 1)
    assert hook.received[0][0] == first["event_id"]
    recovered = await gateway.post(
        f"{base}/recover", json={"since": start.isoformat()}, headers=headers
    )
    assert recovered.status_code == 202 and recovered.json() == {"requeued": 2}
    await until(lambda: len(hook.received) == 3)
    assert {m for m, _ in hook.received} == {str(e.id) for e in events}
    naive = await gateway.post(
        f"{base}/recover", json={"since": "2026-01-01T00:00:00"}, headers=headers
    )
    # RFC 3339 needs the offset: a naive time is a validation error like any bad timestamp.
    assert naive.status_code == 422
    assert naive.headers["content-type"] == "application/problem+json"

    sent = await gateway.post(f"{base}/test", headers=headers)
    assert sent.status_code == 202 and sent.json()["event_type"] == "webhook.test"
    await until(lambda: len(hook.received) == 4)
    assert hook.received[-1][1]["type"] == "webhook.test"
    again = await gateway.post(f"{base}/test", headers=headers)
    assert again.status_code == 202
    await until(lambda: len(hook.received) == 5)
    tests = [body for _, body in hook.received if body["type"] == "webhook.test"]
    assert [t["sequence"] for t in tests] == [1, 2]
    assert tests[1]["previous_event_id"] == tests[0]["id"]


async def _eq(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


async def test_secret_rotation_signs_with_both_during_the_overlap(
    gateway: ServiceClient, receiver: Receiver, owner: dict[str, str]
) -> None:
    url, hook = receiver.hook("rotate")
    created = await create_endpoint(gateway, owner, url, hook, event_types=["learner.created"])
    old = created["secret"]
    rotated = await gateway.post(
        f"/v1/webhooks/{created['id']}/secret/rotate", json={"overlap_seconds": 3600}, headers=owner
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_secret_expires_at"]
    for secret in (old, new):
        hook.secrets = [secret]
        hook.received.clear()
        await publish(
            gateway, new_event("learner.created", district_id=DISTRICT, subject="l", data={})
        )
        await until(lambda: hook.received)
    bad = await gateway.post(
        f"/v1/webhooks/{created['id']}/secret/rotate", json={"overlap_seconds": -1}, headers=owner
    )
    assert bad.status_code == 422


async def test_a_dispatcher_killed_mid_batch_loses_nothing(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    headers = bearer(gw_settings, client_principal(name="client-kill"))
    url, hook = receiver.hook("kill")
    created = await create_endpoint(gateway, headers, url, hook, event_types=["attempt.completed"])
    # Stop the app's dispatcher; run our own, kill it while requests are in flight.
    running = hub(gateway)
    assert running.task is not None
    running.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running.task
    hook.hang = asyncio.Event()
    events = [
        new_event("attempt.completed", district_id=DISTRICT, subject="l", data={})
        for _ in range(20)
    ]
    await publish(gateway, *events)
    async with open_webhook_session(
        timeout_seconds=5, connect_timeout_seconds=5, max_connections=64
    ) as http:
        first = Dispatcher(gateway.app.state.db, HUB_SETTINGS, http, {}, guard=WEBHOOK_GUARD)
        task = asyncio.create_task(first.run())
        await until(lambda: sum(hook.calls.values()) >= 20)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert hook.received == []
    hook.hang = None
    # A restarted dispatcher (the app's own) finds them again once the lease runs out.
    running.task = asyncio.create_task(running.dispatcher.run())
    await until(lambda: {m for m, _ in hook.received} >= {str(e.id) for e in events}, timeout=15)

    async def succeeded() -> int:
        delivered = await gateway.get(
            f"/v1/webhooks/{created['id']}/deliveries?status=succeeded", headers=headers
        )
        return len(delivered.json()["items"])

    await until(lambda: _eq(succeeded(), 20))


# --- inbound roster hook -----------------------------------------------------------------------


async def test_inbound_roster_hook_verifies_dedupes_and_forwards(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    admin = Principal(
        subject="client-sis",
        kind="client",
        district_id=DISTRICT,
        scopes=frozenset({"roster:write"}),
    )
    made = await gateway.post(
        "/v1/webhooks/inbound/roster/secret", headers=bearer(gw_settings, admin)
    )
    assert made.status_code == 200
    secret = made.json()["secret"]
    path = f"/v1/webhooks/inbound/roster/{DISTRICT}"
    body = json.dumps(
        {"users": [{"sourcedId": "u-1", "role": "student"}], "classes": [], "enrollments": []}
    )

    def signed(msg_id: str, when: datetime | None = None, key: str = secret) -> dict[str, str]:
        stamp = when or datetime.now(UTC)
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": Webhook(key).sign(msg_id, stamp, body),
            "content-type": "application/json",
        }

    before = len(receiver.roster)
    ok = await gateway.post(path, content=body, headers=signed("sis-1"))
    assert ok.status_code == 200 and ok.json()["status"] == "applied", ok.text
    again = await gateway.post(path, content=body, headers=signed("sis-1"))
    assert again.json()["status"] == "duplicate"
    assert len(receiver.roster) == before + 1
    assert receiver.roster[-1]["users"][0]["sourcedId"] == "u-1"

    stale = await gateway.post(
        path, content=body, headers=signed("sis-2", datetime.now(UTC) - timedelta(minutes=10))
    )
    assert stale.status_code == 401
    forged = await gateway.post(
        path, content=body, headers=signed("sis-3", key="whsec_" + "A" * 44)
    )
    assert forged.status_code == 401
    unsigned = await gateway.post(path, content=body)
    assert unsigned.status_code == 401
    other = await gateway.post(
        f"/v1/webhooks/inbound/roster/{OTHER_DISTRICT}", content=body, headers=signed("sis-4")
    )
    assert other.status_code == 401
    junk_body = "{not json"
    junk_headers = signed("sis-5")
    junk_headers["webhook-signature"] = Webhook(secret).sign(
        "sis-5", datetime.fromtimestamp(int(junk_headers["webhook-timestamp"]), UTC), junk_body
    )
    junk = await gateway.post(path, content=junk_body, headers=junk_headers)
    assert junk.status_code == 400
    assert len(receiver.roster) == before + 1
    assert receiver.roster[-1]["force"] is False

    # A forced batch (past profiles' mass-change guard) is signed like any other and passed on.
    forced_body = json.dumps({"users": [{"sourcedId": "u-1", "role": "student"}], "force": True})
    forced_headers = signed("sis-6")
    forced_headers["webhook-signature"] = Webhook(secret).sign(
        "sis-6", datetime.fromtimestamp(int(forced_headers["webhook-timestamp"]), UTC), forced_body
    )
    forced = await gateway.post(path, content=forced_body, headers=forced_headers)
    assert forced.status_code == 200, forced.text
    assert receiver.roster[-1]["force"] is True


# --- replicas ----------------------------------------------------------------------------------


async def test_concurrent_dispatchers_never_claim_the_same_delivery(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    """What lets dispatchers run on several gateway replicas: concurrent claims are disjoint
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; one writer at a time on SQLite)."""
    headers = bearer(gw_settings, client_principal(name="client-replicas"))
    url, hook = receiver.hook("replicas")
    created = await create_endpoint(gateway, headers, url, hook, event_types=["learner.created"])
    running = hub(gateway)
    assert running.task is not None
    running.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running.task
    try:
        events = [
            new_event("learner.created", district_id=DISTRICT, subject="l", data={})
            for _ in range(300)
        ]
        await publish(gateway, *events)
        db = gateway.app.state.db

        async def replica() -> list[uuid.UUID]:
            claimed: list[uuid.UUID] = []
            for _ in range(100):  # bounded: 300 rows in batches of 10 take 30 claims in all
                async with db.session() as session, session.begin():
                    now = utcnow()
                    # A long lease: nothing comes due again while the replicas run. The
                    # dispatcher's own claim (one statement on PostgreSQL).
                    batch = await events_repository.claim_work(
                        session, now, now + timedelta(minutes=10), 10
                    )
                if not batch:
                    break
                # Each claimed row comes with its event and its endpoint (other tests' deliveries
                # may be due too).
                assert all(row.envelope["id"] == str(row.event_id) for row in batch)
                assert all(row.url == url for row in batch if str(row.endpoint_id) == created["id"])
                claimed.extend(row.id for row in batch)
                await asyncio.sleep(0)
            return claimed

        claims = await asyncio.gather(replica(), replica(), replica())
        everything = [delivery for claim in claims for delivery in claim]
        assert len(everything) == len(set(everything))
        mine = await scalar(
            gateway,
            select(func.count()).where(
                event_deliveries.c.endpoint_id == uuid.UUID(created["id"]),
                event_deliveries.c.id.in_(everything),
            ),
        )
        assert mine == 300
        assert sum(1 for claim in claims if claim) >= 2, "the claims should have interleaved"
    finally:
        running.task = asyncio.create_task(running.dispatcher.run())


async def test_a_batch_of_outcomes_is_written_by_one_statement(
    gateway: ServiceClient, receiver: Receiver, gw_settings: GatewaySettings
) -> None:
    """The dispatcher records a whole batch at once: on PostgreSQL one ``UPDATE … FROM unnest``
    (not one execution per delivery), and every field of every outcome lands on its own row."""
    headers = bearer(gw_settings, client_principal(name="client-batch-update"))
    url, hook = receiver.hook("batch-update")
    await create_endpoint(gateway, headers, url, hook, event_types=["learner.deleted"])
    running = hub(gateway)
    assert running.task is not None
    running.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running.task
    db = gateway.app.state.db
    statements: list[tuple[str, bool]] = []

    def count(*args: Any) -> None:
        statements.append((str(args[2]), bool(args[5])))

    try:
        await publish(
            gateway,
            *(
                new_event("learner.deleted", district_id=DISTRICT, subject="l", data={})
                for _ in range(3)
            ),
        )
        now = utcnow()
        async with db.session() as session, session.begin():
            rows = await events_repository.claim_work(session, now, now + timedelta(hours=1), 2000)
            # Other tests' deliveries that were due go back to the queue as they were.
            await session.execute(
                update(event_deliveries)
                .where(event_deliveries.c.id.in_([row.id for row in rows if row.url != url]))
                .values(next_attempt_at=now)
            )
        mine = sorted((row for row in rows if row.url == url), key=lambda row: row.id)
        assert len(mine) == 3
        later = now + timedelta(minutes=5)
        outcomes = [
            ("succeeded", 1, None, now, 200, None, now),
            ("pending", 2, later, now, 503, "HTTP 503 ✗", None),
            ("failed", 8, None, None, None, "timeout", None),
        ]
        updates = [
            dict(
                zip(
                    (
                        "b_id",
                        "b_status",
                        "b_attempt_count",
                        "b_next_attempt_at",
                        "b_last_attempt_at",
                        "b_last_status_code",
                        "b_last_error",
                        "b_delivered_at",
                    ),
                    (row.id, *outcome),
                    strict=True,
                )
            )
            for row, outcome in zip(mine, outcomes, strict=True)
        ]
        sa_event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            async with db.session() as session, session.begin():
                await events_repository.update_deliveries(session, updates)
        finally:
            sa_event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert len(statements) == 1
        if db.engine.dialect.name == "postgresql":
            assert statements[0][1] is False, "one statement, not an executemany"
            assert "unnest" in statements[0][0]
        d = event_deliveries
        async with db.session() as session:
            stored = (
                await session.execute(
                    select(
                        d.c.status,
                        d.c.attempt_count,
                        d.c.next_attempt_at,
                        d.c.last_attempt_at,
                        d.c.last_status_code,
                        d.c.last_error,
                        d.c.delivered_at,
                    )
                    .where(d.c.id.in_([row.id for row in mine]))
                    .order_by(d.c.id)
                )
            ).all()
        assert [tuple(row) for row in stored] == outcomes
    finally:
        running.task = asyncio.create_task(running.dispatcher.run())
