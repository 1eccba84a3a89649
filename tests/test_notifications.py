"""Notifications from outside (docs/profiles.md, "Notifications"): the real gateway in front of
the real services, the demo district, and the demo webhook receiver for ``notification.created``.

A learner's skill becomes mastered through skill checks: the learner and their guardian see it in
their feeds (their teacher does not: not their audience). Synthetic events (a flag, a message)
go to profiles' ``POST /internal/events`` as the hub sends them. The deferred delivery of quiet
hours is released by running the sweep with a clock set after their end, as the service's
background task would.
"""

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pathwise_devstack.stack import RECEIVER, Stack
from pathwise_devstack.testing import TEST_SECRET, dev_login, start_stack, take_check
from pathwise_gateway.seed import DEMO_DISTRICT
from pathwise_profiles.models import outbox
from pathwise_profiles.service.notifications import sweep_due
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.events import new_event

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")
GUARDIAN = demo_id("user", "guardian-01")
SKILL = "3.OA.C.7"  # learner-01's goal skill with a seeded skill check
WAIT = 30.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("notifications"), receiver=True) as running:
        yield running


@pytest.fixture(scope="module")
def gw(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url("gateway"), timeout=20.0) as client:
        yield client


@pytest.fixture(scope="module")
def receiver(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url(RECEIVER), timeout=10.0) as client:
        yield client


@pytest.fixture(scope="module")
def profiles(demo: Stack) -> Iterator[httpx.Client]:
    """Profiles itself, as the hub calls it (with a system internal token)."""
    system = Principal(subject="system:gateway-events", kind="system", district_id=DEMO_DISTRICT)
    token = issue_internal_token(system, TEST_SECRET)
    with httpx.Client(
        base_url=demo.config.url("profiles"),
        timeout=20.0,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


def _feed(gw: httpx.Client, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = gw.get("/v1/me/notifications", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _about(feed: dict[str, Any], kind: str, **refs: str) -> list[dict[str, Any]]:
    return [
        item
        for item in feed["items"]
        if item["kind"] == kind and all(item["refs"].get(k) == v for k, v in refs.items())
    ]


def _deliver(
    profiles: httpx.Client, type_: str, data: dict[str, Any], event_id: uuid.UUID | None = None
) -> str:
    event = new_event(type_, district_id=DEMO_DISTRICT, subject=f"test/{type_}", data=data)
    if event_id is not None:
        event = event.model_copy(update={"id": event_id})
    answer = profiles.post("/internal/events", json=event.model_dump(mode="json"))
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["status"]
    return status


def _created(receiver: httpx.Client, notification_id: str) -> list[dict[str, Any]]:
    answer = receiver.get("/events", params={"type": "notification.created"})
    assert answer.status_code == 200, answer.text
    return [
        item
        for item in answer.json()["items"]
        if item["payload"]["data"]["notification_id"] == notification_id
    ]


def _wait_created(receiver: httpx.Client, notification_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT
    got = _created(receiver, notification_id)
    while not got and time.monotonic() < deadline:
        time.sleep(0.2)
        got = _created(receiver, notification_id)
    return got


def _outbox_rows(demo: Stack, notification_id: str) -> int:
    async def go() -> int:
        db = Database(demo.config.database_urls["profiles"])
        try:
            async with db.engine.connect() as conn:
                rows = (await conn.execute(select(outbox.c.envelope))).scalars().all()
        finally:
            await db.dispose()
        return sum(1 for p in rows if notification_id in str(p))

    return asyncio.run(go())


def _sweep(demo: Stack, now: datetime) -> int:
    async def go() -> int:
        db = Database(demo.config.database_urls["profiles"], outbox=outbox)
        try:
            async with unit_of_work(db) as session:
                return await sweep_due(session, now=now)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _mastered(gw: httpx.Client, headers: dict[str, str]) -> bool:
    answer = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=headers)
    assert answer.status_code == 200, answer.text
    return any(s["skill_code"] == SKILL and s["mastered"] for s in answer.json()["skills"])


def test_a_mastered_skill_reaches_the_learner_and_their_guardian(gw: httpx.Client) -> None:
    learner = dev_login(gw, "learner-01")
    guardian = dev_login(gw, "guardian-01")
    teacher = dev_login(gw, "teacher-01")
    assert _about(_feed(gw, guardian), "mastery_milestone", skill_code=SKILL) == []
    for _ in range(5):
        if _mastered(gw, learner):
            break
        take_check(gw, SKILL, LEARNER, learner)
    assert _mastered(gw, learner), "five perfect skill checks did not reach mastery"

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        mine = _about(_feed(gw, learner), "mastery_milestone", skill_code=SKILL)
        theirs = _about(_feed(gw, guardian), "mastery_milestone", skill_code=SKILL)
        if mine and theirs:
            break
        time.sleep(0.25)
    assert len(mine) == 1 and len(theirs) == 1, (mine, theirs)
    assert mine[0]["learner_id"] == theirs[0]["learner_id"] == str(LEARNER)
    assert mine[0]["title"] == "You mastered a skill" and mine[0]["read_at"] is None
    assert theirs[0]["title"] == "A skill was mastered"
    # Mastery milestones are not the teacher's (their dashboard shows them).
    assert _about(_feed(gw, teacher), "mastery_milestone", skill_code=SKILL) == []

    # Unread filter, read one, read all.
    before = _feed(gw, guardian)
    assert before["unread"] >= 1
    read = gw.post(f"/v1/me/notifications/{theirs[0]['id']}/read", headers=guardian)
    assert read.status_code == 200, read.text
    assert read.json()["read_at"] is not None
    unread_ids = {i["id"] for i in _feed(gw, guardian, unread="true")["items"]}
    assert theirs[0]["id"] not in unread_ids
    assert _feed(gw, guardian)["unread"] == before["unread"] - 1
    everything = gw.post("/v1/me/notifications/read-all", headers=learner)
    assert everything.status_code == 200 and everything.json()["marked"] >= 1
    assert _feed(gw, learner, unread="true")["items"] == []


def test_another_user_can_neither_read_nor_mark_someone_elses(
    gw: httpx.Client, profiles: httpx.Client
) -> None:
    guardian = dev_login(gw, "guardian-01")
    skill = "X.OTHER.1"
    assert _deliver(profiles, "mastery.changed", {
        "learner_id": str(LEARNER), "skill_code": skill, "p_known": 0.96,
        "mastered": True, "previous_mastered": False,
    }) == "notified"  # fmt: skip
    (theirs,) = _about(_feed(gw, guardian), "mastery_milestone", skill_code=skill)
    for someone in ("teacher-01", "learner-02", "guardian-02", "admin-district"):
        other = dev_login(gw, someone)
        assert theirs["id"] not in {i["id"] for i in _feed(gw, other)["items"]}
        marked = gw.post(f"/v1/me/notifications/{theirs['id']}/read", headers=other)
        assert marked.status_code == 404, marked.text
        assert marked.headers["content-type"] == "application/problem+json"
        assert marked.json()["type"].endswith("/notification-not-found")
    (still,) = _about(_feed(gw, guardian), "mastery_milestone", skill_code=skill)
    assert still["read_at"] is None
    # A cursor is only an id: it cannot reach into another feed either.
    bad = gw.get("/v1/me/notifications", params={"cursor": "not-a-cursor"}, headers=guardian)
    assert bad.status_code == 400 and bad.json()["type"].endswith("/invalid-cursor")


def test_a_redelivered_event_notifies_no_one_twice(
    gw: httpx.Client, profiles: httpx.Client
) -> None:
    guardian = dev_login(gw, "guardian-01")
    skill = "X.REDELIVERED.1"
    event_id = uuid.uuid4()
    data = {"learner_id": str(LEARNER), "skill_code": skill, "p_known": 0.97, "mastered": True,
            "previous_mastered": False}  # fmt: skip
    assert _deliver(profiles, "mastery.changed", data, event_id) == "notified"
    assert _deliver(profiles, "mastery.changed", data, event_id) == "duplicate"
    assert len(_about(_feed(gw, guardian), "mastery_milestone", skill_code=skill)) == 1
    # An update of a skill mastered before is not a milestone.
    again = {**data, "skill_code": "X.UPDATE.1", "previous_mastered": True}
    assert _deliver(profiles, "mastery.changed", again) == "ignored"
    assert _about(_feed(gw, guardian), "mastery_milestone", skill_code="X.UPDATE.1") == []


def test_a_batch_from_the_hub_notifies_each_event_once(
    gw: httpx.Client, profiles: httpx.Client
) -> None:
    """Profiles' ``POST /internal/events/batch``: each event as the single route takes it, with
    its own outcome; a malformed one in the middle costs only itself."""
    guardian = dev_login(gw, "guardian-01")

    def mastered(skill: str, learner: str = str(LEARNER)) -> dict[str, Any]:
        data = {"learner_id": learner, "skill_code": skill, "p_known": 0.97, "mastered": True,
                "previous_mastered": False}  # fmt: skip
        event = new_event("mastery.changed", district_id=DEMO_DISTRICT, subject="t", data=data)
        return event.model_dump(mode="json")

    first, second = mastered("X.BATCH.1"), mastered("X.BATCH.2")
    batch = [first, mastered("X.BATCH.3", learner="not-a-uuid"), second, first]
    answer = profiles.post("/internal/events/batch", json={"events": batch})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["status"], r["outcome"]) for r in results] == [
        (200, "notified"), (422, None), (200, "notified"), (200, "duplicate"),
    ]  # fmt: skip
    assert results[1]["type"].endswith("/invalid-event")
    feed = _feed(gw, guardian)
    for skill in ("X.BATCH.1", "X.BATCH.2"):
        assert len(_about(feed, "mastery_milestone", skill_code=skill)) == 1
    assert _about(feed, "mastery_milestone", skill_code="X.BATCH.3") == []


def test_a_kind_turned_off_notifies_no_one(gw: httpx.Client, profiles: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-01")
    learner = dev_login(gw, "learner-01")
    off = gw.put(
        "/v1/me/notification-preferences",
        json={"channels": {"mastery_milestone": {"in_app": False}}},
        headers=guardian,
    )
    assert off.status_code == 200, off.text
    assert off.json()["channels"]["mastery_milestone"] == {
        "in_app": False,
        "email": False,
        "sms": False,
    }
    assert off.json()["channels"]["message"]["in_app"] is True  # not named: the default
    skill = "X.OFF.1"
    _deliver(profiles, "mastery.changed", {"learner_id": str(LEARNER), "skill_code": skill,
             "p_known": 0.95, "mastered": True, "previous_mastered": False})  # fmt: skip
    assert _about(_feed(gw, guardian), "mastery_milestone", skill_code=skill) == []
    assert len(_about(_feed(gw, learner), "mastery_milestone", skill_code=skill)) == 1
    back = gw.put("/v1/me/notification-preferences", json={}, headers=guardian)
    assert back.status_code == 200
    assert back.json()["channels"]["mastery_milestone"]["in_app"] is True


def test_a_flag_is_a_support_note_for_guardians_only(
    gw: httpx.Client, profiles: httpx.Client
) -> None:
    flag = str(uuid.uuid4())
    _deliver(profiles, "learner.flagged", {"learner_id": str(LEARNER), "flag_id": flag,
             "code": "behind_pace", "reason": "behind_pace", "numbers": {"goal": "secret"}})  # fmt: skip
    (note,) = _about(_feed(gw, dev_login(gw, "guardian-01")), "support_note", flag_id=flag)
    assert "risk" not in (note["title"] + note["body"]).lower()
    assert "numbers" not in note["refs"]
    assert _about(_feed(gw, dev_login(gw, "learner-01")), "support_note", flag_id=flag) == []


def test_quiet_hours_keep_the_feed_immediate_and_defer_the_webhook(
    demo: Stack, gw: httpx.Client, profiles: httpx.Client, receiver: httpx.Client
) -> None:
    guardian = dev_login(gw, "guardian-01")
    teacher = dev_login(gw, "teacher-01")
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)), (now + timedelta(hours=1))
    quiet = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"), "time_zone": "UTC"}
    email = {"message": {"email": True, "sms": True}}
    put = gw.put("/v1/me/notification-preferences", json={"channels": email, "quiet_hours": quiet},
                 headers=guardian)  # fmt: skip
    assert put.status_code == 200, put.text
    assert put.json()["quiet_hours"] == quiet
    # The teacher wants email too, without quiet hours: theirs leaves at once.
    assert gw.put("/v1/me/notification-preferences", json={"channels": email},
                  headers=teacher).status_code == 200  # fmt: skip

    thread = str(uuid.uuid4())
    author = str(LEARNER)
    _deliver(profiles, "message.posted", {
        "thread_id": thread, "learner_id": str(LEARNER), "author_user_id": author,
        "recipient_user_ids": [str(GUARDIAN), str(demo_id("user", "teacher-01")), author,
                               str(uuid.uuid4())],
    })  # fmt: skip
    (held,) = _about(_feed(gw, guardian), "message", thread_id=thread)  # in the feed at once
    (sent,) = _about(_feed(gw, teacher), "message", thread_id=thread)
    # The author is not notified of their own message.
    assert _about(_feed(gw, dev_login(gw, "learner-01")), "message", thread_id=thread) == []

    got = _wait_created(receiver, sent["id"])
    assert got, demo.log_text("profiles")[-2000:]
    data = got[0]["payload"]["data"]
    assert data == {
        "notification_id": sent["id"], "user_id": str(demo_id("user", "teacher-01")),
        "kind": "message", "channels": ["email", "sms"], "learner_id": str(LEARNER),
        "title": "New message",
    }  # fmt: skip
    # The guardian's waits for the end of their quiet hours: nothing written for it yet.
    assert _outbox_rows(demo, held["id"]) == 0
    assert _created(receiver, held["id"]) == []
    assert _sweep(demo, now) == 0  # still quiet: the sweep leaves it
    assert _sweep(demo, end.replace(second=0, microsecond=0) + timedelta(minutes=1)) == 1
    assert _sweep(demo, end + timedelta(hours=2)) == 0  # released once
    got = _wait_created(receiver, held["id"])
    assert len(got) == 1, demo.log_text("profiles")[-2000:]
    assert got[0]["payload"]["data"]["user_id"] == str(GUARDIAN)
    assert got[0]["payload"]["subject"] == f"user/{GUARDIAN}/notifications"

    gw.put("/v1/me/notification-preferences", json={}, headers=guardian)
    gw.put("/v1/me/notification-preferences", json={}, headers=teacher)


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Mars/Olympus"}},
         "notification-preferences-invalid"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00", "time_zone": "UTC"}},
         "notification-preferences-invalid"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00", "time_zone": "UTC"}}, None),
        ({"quiet_hours": {"start": "22:00", "end": "07:00"}}, None),
        ({"channels": {"gossip": {"in_app": True}}}, None),
        ({"channels": {"message": {"pigeon": True}}}, None),
        ({"channels": {"message": {"email": "yes"}}}, None),
        ({"channels": {"message": {"email": True}}, "extra": 1}, None),
    ],
)  # fmt: skip
def test_bad_preferences_are_problems_and_change_nothing(
    gw: httpx.Client, body: dict[str, Any], slug: str | None
) -> None:
    guardian = dev_login(gw, "guardian-02")
    before = gw.get("/v1/me/notification-preferences", headers=guardian).json()
    answer = gw.put("/v1/me/notification-preferences", json=body, headers=guardian)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if slug:
        assert answer.json()["type"].endswith(f"/{slug}")
    assert gw.get("/v1/me/notification-preferences", headers=guardian).json() == before


def test_integration_clients_have_no_feed(gw: httpx.Client) -> None:
    from pathwise_gateway.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    token = gw.post("/v1/auth/token", data={"grant_type": "client_credentials",
                    "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET})  # fmt: skip
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for method, path in (("GET", "/v1/me/notifications"), ("GET", "/v1/me/notification-preferences"),
                         ("POST", "/v1/me/notifications/read-all")):  # fmt: skip
        assert gw.request(method, path, headers=headers).status_code == 403
