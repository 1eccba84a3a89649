"""Issue 17 follow-ups through the real gateway in front of the real services (docs/profiles.md,
"Messages" and "Notifications"), on a stack of their own (they end a guardian link and walk
learner-01's plan from the start):

- ``GET /v1/me/threads``: a user's threads across learners, newest message first, with unread
  counts and cursor pages; a guardian whose link ended no longer sees the thread nor its subject.
- A message reaches the other participant as a ``message`` notification through the hub's real
  delivery of ``message.posted`` (no synthetic event); its author gets none.
- A choice refused for want of a guardian's consent asks the learner's guardians once
  (``consent.requested`` from pathways, a ``consent_request`` notification in profiles), however
  often it is retried.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, start_stack
from pathwise_pathways.seed import FIELD_TRIP_ID
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER_1 = demo_id("learner", "learner-01")  # teacher-01's, guardian-01's child
LEARNER_2 = demo_id("learner", "learner-02")  # teacher-01's, guardian-02's child
GUARDIAN_1 = demo_id("user", "guardian-01")
GUARDIAN_2 = demo_id("user", "guardian-02")
WAIT = 30.0


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("family")) as running:
        yield running


@pytest.fixture(scope="module")
def gw(family: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=family.config.url("gateway"), timeout=30.0) as client:
        yield client


def _thread(
    gw: httpx.Client, headers: dict[str, str], learner: uuid.UUID, with_: uuid.UUID, subject: str
) -> dict[str, Any]:
    made = gw.post(
        f"/v1/learners/{learner}/threads",
        json={"subject": subject, "participant_ids": [str(with_)], "body": f"About {subject}."},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    thread: dict[str, Any] = made.json()
    return thread


def _mine(gw: httpx.Client, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = gw.get("/v1/me/threads", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _feed(gw: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = gw.get("/v1/me/notifications", headers=headers, params={"limit": 200})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _eventually(probe: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The hub delivers asynchronously: poll until ``probe`` finds something (or time is up)."""
    deadline = time.monotonic() + WAIT
    found = probe()
    while not found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = probe()
    return found


def test_my_threads_across_learners_newest_first(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-01")
    guardian_1 = dev_login(gw, "guardian-01")
    guardian_2 = dev_login(gw, "guardian-02")
    admin = dev_login(gw, "admin-district")
    first = _thread(gw, teacher, LEARNER_1, GUARDIAN_1, "Reading at home")
    second = _thread(gw, teacher, LEARNER_2, GUARDIAN_2, "Field day helpers")

    # The teacher's threads about both learners, the newest message first, with unread counts.
    everything = _mine(gw, teacher, limit=200)["items"]
    ids = [t["id"] for t in everything]
    assert ids.index(second["id"]) < ids.index(first["id"])
    assert {t["learner_id"] for t in everything} >= {str(LEARNER_1), str(LEARNER_2)}
    assert all(t["unread"] == 0 for t in everything if t["id"] in (first["id"], second["id"]))
    # A guardian sees only their own child's thread, unread.
    theirs = {t["id"]: t for t in _mine(gw, guardian_1)["items"]}
    assert first["id"] in theirs and second["id"] not in theirs
    assert (
        theirs[first["id"]]["unread"] == 1 and theirs[first["id"]]["subject"] == "Reading at home"
    )

    # Cursor pages walk the same order without repeats or gaps.
    walked: list[str] = []
    page = _mine(gw, teacher, limit=1)
    while True:
        walked.extend(t["id"] for t in page["items"])
        if page["next_cursor"] is None:
            break
        page = _mine(gw, teacher, limit=1, cursor=page["next_cursor"])
    assert walked == ids

    # guardian-01 answers: that thread is now the teacher's newest, with one unread message.
    answered = gw.post(
        f"/v1/learners/{LEARNER_1}/threads/{first['id']}/messages",
        data={"body": "We read every evening."},
        headers=guardian_1,
    )
    assert answered.status_code == 201, answered.text
    top = _mine(gw, teacher, limit=1)["items"][0]
    assert top["id"] == first["id"] and top["unread"] == 1

    # A tampered cursor is a problem, not a 500.
    for bad in ("not-a-cursor", "WyJ4IiwieSJd"):  # the second: ["x","y"]
        refused = gw.get("/v1/me/threads", params={"cursor": bad}, headers=teacher)
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")

    # guardian-02's link to learner-02 ends: the thread (and its subject) leaves their list at
    # once, though they are still one of its participants.
    assert second["id"] in {t["id"] for t in _mine(gw, guardian_2)["items"]}
    links = gw.get(
        "/v1/guardians",
        params={"student_id": str(LEARNER_2), "guardian_id": str(GUARDIAN_2)},
        headers=admin,
    )
    assert links.status_code == 200, links.text
    for link in links.json()["items"]:
        ended = gw.delete(f"/v1/guardians/{link['id']}", headers=admin)
        assert ended.status_code == 204, ended.text
    after = gw.get("/v1/me/threads", headers=guardian_2, params={"limit": 200})
    assert after.status_code == 200, after.text
    assert second["id"] not in after.text and "Field day helpers" not in after.text
    # The teacher, still teaching learner-02, keeps it.
    assert second["id"] in {t["id"] for t in _mine(gw, teacher, limit=200)["items"]}


def test_a_message_becomes_a_notification_for_its_recipient(gw: httpx.Client) -> None:
    """teacher-01 writes to guardian-01 about learner-01: the hub delivers the real
    ``message.posted`` to profiles, which notifies guardian-01 (never the author)."""
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-01")
    thread = _thread(gw, teacher, LEARNER_1, GUARDIAN_1, "Spelling list")
    posted = gw.post(
        f"/v1/learners/{LEARNER_1}/threads/{thread['id']}/messages",
        data={"body": "This week's list is attached to the homework page."},
        headers=teacher,
    )
    assert posted.status_code == 201, posted.text

    def about(feed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            n for n in feed if n["kind"] == "message" and n["refs"].get("thread_id") == thread["id"]
        ]

    # One per message event: the thread's first message and the one posted after it.
    got = _eventually(lambda: about(_feed(gw, guardian))[1:])
    assert len(got) == 1, _feed(gw, guardian)
    notices = about(_feed(gw, guardian))
    assert len(notices) == 2
    assert {n["learner_id"] for n in notices} == {str(LEARNER_1)}
    assert all("attached" not in str(n) for n in notices)  # never the message's text
    assert about(_feed(gw, teacher)) == []


def test_a_refused_consent_asks_the_guardians_once(gw: httpx.Client) -> None:
    learner = dev_login(gw, "learner-01")
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-01")
    other_guardian = dev_login(gw, "guardian-03")
    base = f"/v1/learners/{LEARNER_1}/pathway/proposals"
    made = gw.post(
        base,
        json={"goals": [{"skill_code": "3.NF.A.1"}],
              "choices": [{"skill_code": "3.NF.A.1", "activity_id": str(FIELD_TRIP_ID)}]},
        headers=learner,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    pid = made.json()["id"]

    def requests(feed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            n
            for n in feed
            if n["kind"] == "consent_request" and n["refs"].get("activity_id") == str(FIELD_TRIP_ID)
        ]

    assert requests(_feed(gw, guardian)) == []
    for _ in range(3):  # the teacher retries: the guardians are asked once
        refused = gw.post(
            f"{base}/{pid}/approve", json={}, headers={**teacher, "If-Match": made.headers["ETag"]}
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"].endswith("/guardian-consent-required")
    asked = _eventually(lambda: requests(_feed(gw, guardian)))
    assert len(asked) == 1, asked
    assert asked[0]["learner_id"] == str(LEARNER_1)
    time.sleep(1.0)  # a second request, were one made, would have arrived by now
    assert len(requests(_feed(gw, guardian))) == 1
    # Consent is a guardian's: the teacher, the learner and another learner's guardian get none.
    for headers in (teacher, learner, other_guardian):
        assert requests(_feed(gw, headers)) == []

    # The guardian consents; the approval goes through and nobody is asked again.
    consent = gw.post(
        f"/v1/learners/{LEARNER_1}/consents",
        json={"activity_id": str(FIELD_TRIP_ID)},
        headers=guardian,
    )
    assert consent.status_code == 201, consent.text
    approved = gw.post(
        f"{base}/{pid}/approve", json={}, headers={**teacher, "If-Match": made.headers["ETag"]}
    )
    assert approved.status_code == 200, approved.text
    assert len(requests(_feed(gw, guardian))) == 1
