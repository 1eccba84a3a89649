"""The comeback badge after a flag, through the real stack: a learner answers wrong until the
class dashboard flags them (``no_progress`` on the skill), pathways' ``learner.flagged`` goes
through the gateway's event hub to assessment (an internal subscriber) and to the demo
receiver, the learner then masters the skill, and assessment awards ``comeback``: in the
learner's motivation view and as a ``badge.awarded`` the receiver gets. A learner never flagged
who masters a skill gets no comeback, even after three wrong answers in a row. The stack is this module's own (it runs the receiver and
flags a class, which the shared stack's other tests must not see)."""

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pathwise_devstack.stack import RECEIVER, Stack
from pathwise_devstack.testing import dev_login, start_stack, take_check, wrong_answer
from pathwise_pathways.domain.insights import NO_PROGRESS_ANSWERS
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

GRADE3 = demo_id("class", "grade3-math")
FLAGGED = ("learner-04", demo_id("learner", "learner-04"))  # grade 3, teacher-01
NEVER_FLAGGED = ("learner-06", demo_id("learner", "learner-06"))  # grade 3, teacher-01
CODE = "3.NF.A.1"
WAIT_SECONDS = 30.0
MAX_CHECKS = 25


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("comeback"), receiver=True) as running:
        yield running


@pytest.fixture(scope="module")
def gw(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url("gateway"), timeout=20.0) as client:
        yield client


@pytest.fixture(scope="module")
def receiver(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url(RECEIVER), timeout=10.0) as client:
        yield client


def _mastered(gw: httpx.Client, learner: uuid.UUID, headers: dict[str, str]) -> bool:
    got = gw.get(f"/v1/learners/{learner}/mastery", headers=headers)
    assert got.status_code == 200, got.text
    return any(s["skill_code"] == CODE and s["mastered"] for s in got.json()["skills"])


def _master(gw: httpx.Client, learner: uuid.UUID, headers: dict[str, str]) -> None:
    for _ in range(MAX_CHECKS):
        if _mastered(gw, learner, headers):
            return
        take_check(gw, CODE, learner, headers)
    assert _mastered(gw, learner, headers), f"{MAX_CHECKS} perfect checks did not reach mastery"


def _received(receiver: httpx.Client, learner: uuid.UUID, event_type: str) -> list[dict[str, Any]]:
    got = receiver.get("/events", params={"type": event_type})
    assert got.status_code == 200, got.text
    return [
        item["payload"]["data"]
        for item in got.json()["items"]
        if item["payload"]["data"].get("learner_id") == str(learner)
    ]


def _wait_for(
    receiver: httpx.Client,
    learner: uuid.UUID,
    event_type: str,
    found: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    got = _received(receiver, learner, event_type)
    while not found(got) and time.monotonic() < deadline:
        time.sleep(0.25)
        got = _received(receiver, learner, event_type)
    return got


def _badges(gw: httpx.Client, learner: uuid.UUID, headers: dict[str, str]) -> set[tuple[str, Any]]:
    got = gw.get(f"/v1/learners/{learner}/motivation", headers=headers)
    assert got.status_code == 200, got.text
    return {(b["code"], b["skill_code"]) for b in got.json()["badges"]}


def _comebacks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["badge"] == "comeback"]


def test_a_learner_flagged_then_mastering_the_skill_earns_a_comeback(
    gw: httpx.Client, receiver: httpx.Client
) -> None:
    username, learner = FLAGGED
    own = dev_login(gw, username)
    for _ in range(-(-NO_PROGRESS_ANSWERS // 3)):  # checks of three items
        take_check(gw, CODE, learner, own, wrong_answer)
    teacher = dev_login(gw, "teacher-01")
    insights = gw.get(f"/v1/classes/{GRADE3}/insights", headers=teacher)
    assert insights.status_code == 200, insights.text
    rows = {r["learner_id"]: r["flags"] for r in insights.json()["learners"]}
    assert "no_progress" in [f["code"] for f in rows[str(learner)]]
    flagged = _wait_for(receiver, learner, "learner.flagged", bool)
    # Stuck on the skill (and, with so many wrong answers, more errors than the model expects).
    assert "no_progress" in {f["code"] for f in flagged}, flagged
    # Flagged, not yet mastered: no comeback.
    assert not any(code == "comeback" for code, _ in _badges(gw, learner, own))

    _master(gw, learner, own)
    events = _wait_for(receiver, learner, "badge.awarded", lambda got: bool(_comebacks(got)))
    assert [(e["badge"], e["skill_code"]) for e in _comebacks(events)] == [("comeback", CODE)]
    assert ("comeback", CODE) in _badges(gw, learner, own)
    assert ("comeback", CODE) in _badges(gw, learner, teacher)


def test_a_learner_never_flagged_masters_a_skill_without_a_comeback(
    gw: httpx.Client, receiver: httpx.Client
) -> None:
    username, learner = NEVER_FLAGGED
    own = dev_login(gw, username)
    # Three wrong answers in a row (the old rule's "struggle"), but no flag: no comeback.
    take_check(gw, CODE, learner, own, wrong_answer)
    _master(gw, learner, own)
    assert _received(receiver, learner, "learner.flagged") == []
    events = _wait_for(
        receiver,
        learner,
        "badge.awarded",
        lambda got: any(e["badge"] == "first_mastery" for e in got),
    )
    assert [e["badge"] for e in events] == ["first_mastery"], events
    assert _badges(gw, learner, own) == {("first_mastery", None)}
