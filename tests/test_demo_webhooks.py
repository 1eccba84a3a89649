"""The "done when" of events and webhooks, as ``make run`` sets it up: the demo integration client's
webhook endpoint points at the demo receiver, a learner takes a skill check through the gateway,
and the receiver gets the learner's ``mastery.changed``, signed (verified by the receiver with the
``standardwebhooks`` library, and again here from the raw body and headers it kept).

The stack is this module's own (it runs the receiver, which the shared ``stack`` fixture does not):
outbox → relay → gateway ingest → dispatcher → signed delivery, all real processes on loopback.
"""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from pathwise_assessment.seed import check_id, item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.receiver import HOOK_PATH
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import RECEIVER, Stack
from pathwise_devstack.testing import TEST_SECRET, start_stack
from pathwise_gateway.events.domain.catalog import CATALOG
from pathwise_gateway.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DISTRICT,
    DEMO_ENDPOINT_ID,
    DEMO_WEBHOOK_SECRET,
)
from pathwise_gateway.webhooks.domain.signing import new_secret, webhook_headers
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")
SKILL = "3.OA.C.7"  # one of learner-01's grade-3 goal skills, with a seeded skill check
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("demo-webhooks"), receiver=True) as running:
        yield running


@pytest.fixture(scope="module")
def gw(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url("gateway"), timeout=10.0) as client:
        yield client


@pytest.fixture(scope="module")
def receiver(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url(RECEIVER), timeout=10.0) as client:
        yield client


def _token(gw: httpx.Client, **form: str) -> dict[str, str]:
    answer = gw.post("/v1/auth/token", data=form)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _correct_answer(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "single_choice":
        return {"choice": spec["correct"]}
    if kind == "multiple_select":
        return {"choices": spec["correct"]}
    if kind == "numeric":
        return {"value": spec["value"], **({"unit": spec["unit"]} if spec.get("unit") else {})}
    if kind == "short_text":
        return {"text": spec["accepted"][0]}
    if kind == "ordering":
        return {"order": spec["order"]}
    raise AssertionError(f"no automatic answer for {kind}")


def _received(
    receiver: httpx.Client, learner: uuid.UUID, event_type: str = "mastery.changed"
) -> list[dict[str, Any]]:
    answer = receiver.get("/events", params={"type": event_type})
    assert answer.status_code == 200, answer.text
    return [
        item
        for item in answer.json()["items"]
        if item["payload"]["data"].get("learner_id") == str(learner)
    ]


def _wait_for(
    receiver: httpx.Client, learner: uuid.UUID, event_type: str = "mastery.changed"
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    got = _received(receiver, learner, event_type)
    while not got and time.monotonic() < deadline:
        time.sleep(0.2)
        got = _received(receiver, learner, event_type)
    return got


def test_a_skill_check_reaches_the_demo_receiver_signed(
    demo: Stack, gw: httpx.Client, receiver: httpx.Client
) -> None:
    assert _received(receiver, LEARNER) == []
    learner = _token(gw, grant_type="password", username="learner-01")
    started = gw.post(
        f"/v1/assessments/{check_id(SKILL)}/attempts",
        json={"learner_id": str(LEARNER)},
        headers=learner,
    )
    assert started.status_code == 201, started.text
    attempt = started.json()["id"]
    for n, item in enumerate(DEMO_ITEMS[SKILL], start=1):
        answered = gw.put(
            f"/v1/attempts/{attempt}/responses/{item_id(SKILL, n)}",
            json={"answer": _correct_answer(item["spec"])},
            headers=learner,
        )
        assert answered.status_code == 200, answered.text
    finished = gw.post(f"/v1/attempts/{attempt}/finish", headers=learner)
    assert finished.status_code == 200, finished.text

    got = _wait_for(receiver, LEARNER)
    assert got, (
        f"no mastery.changed for learner-01 within {WAIT_SECONDS:.0f}s\n"
        + demo.log_text("gateway")[-3000:]
        + demo.log_text(RECEIVER)[-2000:]
    )
    event = got[0]
    # Verified again here, independently of the receiver, from what went over the wire.
    payload = Webhook(DEMO_WEBHOOK_SECRET).verify(event["body"], event["headers"])
    assert payload["type"] == "mastery.changed"
    assert payload["id"] == event["headers"]["webhook-id"]
    assert payload["district_id"] == str(DEMO_DISTRICT)
    assert payload["data"]["skill_code"] == SKILL
    # Thin: only the catalogued fields (the service's evidence list does not leave Pathwise).
    assert set(payload["data"]) <= CATALOG["mastery.changed"].fields
    assert "evidence" not in payload["data"]
    assert {"p_known", "mastered", "level", "previous_level"} <= set(payload["data"])
    # The other events of the same skill check arrive too, each with the catalogued fields the
    # service filled in (a catalog out of step with a service would send bare ids).
    scored = _wait_for(receiver, LEARNER, "response.scored")
    assert scored and {"attempt_id", "correct", "skill_codes"} <= set(scored[0]["payload"]["data"])
    completed = _wait_for(receiver, LEARNER, "attempt.completed")
    assert completed and {"attempt_id", "score", "max_score"} <= set(
        completed[0]["payload"]["data"]
    )

    # The demo client sees the same delivery, with its attempt log, through the API.
    client = _token(
        gw,
        grant_type="client_credentials",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    endpoints = gw.get("/v1/webhooks", headers=client)
    assert endpoints.status_code == 200, endpoints.text
    [endpoint] = endpoints.json()["items"]
    assert endpoint["id"] == str(DEMO_ENDPOINT_ID)
    assert endpoint["url"] == f"{demo.config.url(RECEIVER)}{HOOK_PATH}"
    deliveries = gw.get(
        f"/v1/webhooks/{DEMO_ENDPOINT_ID}/deliveries",
        params={"status": "succeeded", "limit": 200},
        headers=client,
    )
    assert deliveries.status_code == 200, deliveries.text
    assert payload["id"] in {d["event_id"] for d in deliveries.json()["items"]}


def _all_of(receiver: httpx.Client, learner: uuid.UUID) -> list[dict[str, Any]]:
    """Every event payload the receiver kept about ``learner``, whatever its type."""
    answer = receiver.get("/events")
    assert answer.status_code == 200, answer.text
    return [
        item["payload"]
        for item in answer.json()["items"]
        if item["payload"]["data"].get("learner_id") == str(learner)
    ]


def _by_subject(payloads: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The payloads per subject, sorted by sequence: how a receiver puts them in order."""
    subjects: dict[str, list[dict[str, Any]]] = {}
    for payload in payloads:
        subjects.setdefault(payload["subject"], []).append(payload)
    return {s: sorted(got, key=lambda p: p["sequence"]) for s, got in subjects.items()}


def test_a_learners_events_arrive_numbered_per_subject_without_gaps(
    demo: Stack, gw: httpx.Client, receiver: httpx.Client
) -> None:
    """docs/events.md, "Order": delivery order is not promised, but every event carries its
    subject's ``sequence``, so after sorting the receiver has 1..n with nothing missing, and an
    attempt's ``response.scored`` events come before its ``attempt.completed``."""
    learner_id = demo_id("learner", "learner-02")
    subject = f"learner/{learner_id}/assessment"
    # Nothing from assessment yet (the seed's pathway.planned may be there: its own subject).
    assert [p for p in _all_of(receiver, learner_id) if p["subject"] == subject] == []
    learner = _token(gw, grant_type="password", username="learner-02")
    started = gw.post(
        f"/v1/assessments/{check_id(SKILL)}/attempts",
        json={"learner_id": str(learner_id)},
        headers=learner,
    )
    assert started.status_code == 201, started.text
    attempt = started.json()["id"]
    items = DEMO_ITEMS[SKILL]
    for n, item in enumerate(items, start=1):
        answered = gw.put(
            f"/v1/attempts/{attempt}/responses/{item_id(SKILL, n)}",
            json={"answer": _correct_answer(item["spec"])},
            headers=learner,
        )
        assert answered.status_code == 200, answered.text
    finished = gw.post(f"/v1/attempts/{attempt}/finish", headers=learner)
    assert finished.status_code == 200, finished.text

    def complete(payloads: list[dict[str, Any]]) -> bool:
        types = [p["type"] for p in payloads if p["subject"] == subject]
        return "attempt.completed" in types and types.count("response.scored") == len(items)

    deadline = time.monotonic() + WAIT_SECONDS
    got = _all_of(receiver, learner_id)
    while not complete(got) and time.monotonic() < deadline:
        time.sleep(0.2)
        got = _all_of(receiver, learner_id)
    assert complete(got), (
        f"{[(p['type'], p['subject']) for p in got]}\n" + demo.log_text("gateway")[-3000:]
    )
    time.sleep(1.0)  # let stragglers (mastery.changed, pathways' events) land too
    got = _all_of(receiver, learner_id)

    # Every event carries its number and the id of the one before, whichever service made it.
    assert all(isinstance(p["sequence"], int) and p["sequence"] >= 1 for p in got), got
    subjects = _by_subject(got)
    # All of the attempt's assessment events share one subject: one counter orders them.
    assessment = subjects[subject]
    assert {p["type"] for p in assessment} >= {
        "response.scored", "mastery.changed", "attempt.completed"
    }  # fmt: skip
    for ordered in subjects.values():
        numbers = [p["sequence"] for p in ordered]
        # No gap and no repeat: a receiver that got n events of a subject got exactly 1..n.
        assert numbers == list(range(1, len(numbers) + 1)), (ordered[0]["subject"], numbers)
        assert [p["previous_event_id"] for p in ordered] == [None] + [p["id"] for p in ordered[:-1]]
    scored = [p["sequence"] for p in assessment if p["type"] == "response.scored"]
    [completed] = [p["sequence"] for p in assessment if p["type"] == "attempt.completed"]
    assert max(scored) < completed
    # Everything the receiver has (seeded roster, pathways and profiles events included) is
    # numbered too: no service emits an event without a sequence.
    kept = receiver.get("/events").json()["items"]
    assert kept and all(isinstance(e["payload"]["sequence"], int) for e in kept)


def test_the_receiver_refuses_what_our_secret_did_not_sign(receiver: httpx.Client) -> None:
    before = receiver.get("/events").json()
    body = b'{"id":"forged","type":"mastery.changed","data":{}}'
    unsigned = receiver.post(HOOK_PATH, content=body)
    forged = receiver.post(
        HOOK_PATH,
        content=body,
        headers=webhook_headers("forged", int(time.time()), body, [new_secret()]),
    )
    garbled = receiver.post(
        HOOK_PATH,
        content=body,
        headers={
            "webhook-id": "x",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "not-a-signature",
        },
    )
    assert (unsigned.status_code, forged.status_code, garbled.status_code) == (401, 401, 401)
    after = receiver.get("/events").json()
    assert after["verified"] == before["verified"]
    assert after["refused"] == before["refused"] + 3


def test_another_client_of_the_district_cannot_reach_the_demo_endpoint(gw: httpx.Client) -> None:
    admin = _token(gw, grant_type="password", username="admin-district")
    created = gw.post(
        "/v1/clients", json={"name": "another SIS", "scopes": ["webhooks:manage"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    other = _token(
        gw,
        grant_type="client_credentials",
        client_id=created.json()["client_id"],
        client_secret=created.json()["client_secret"],
    )
    assert gw.get(f"/v1/webhooks/{DEMO_ENDPOINT_ID}", headers=other).status_code == 404
    assert gw.post(f"/v1/webhooks/{DEMO_ENDPOINT_ID}/test", headers=other).status_code == 404
    listed = gw.get("/v1/webhooks", headers=other)
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_events_made_while_the_gateway_is_down_arrive_after_it_is_back(
    demo: Stack, receiver: httpx.Client
) -> None:
    """The relay keeps the outbox rows through an outage and resumes by itself (runs last: it
    stops this module's gateway)."""
    learner = demo_id("learner", "learner-03")
    student = Principal(
        subject=str(learner), kind="user", district_id=DEMO_DISTRICT,
        roles=frozenset({"student"}), user_id=learner,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {issue_internal_token(student, TEST_SECRET)}"}
    gateway_spec = next(spec for spec in SERVICES if spec.name == "gateway")
    demo.stop_one("gateway")
    try:
        # Straight to the assessment service: the gateway is down, the change still happens.
        with httpx.Client(base_url=demo.config.url("assessment"), timeout=10.0) as assessment:
            started = assessment.post(
                f"/v1/assessments/{check_id(SKILL)}/attempts",
                json={"learner_id": str(learner)},
                headers=headers,
            )
            assert started.status_code == 201, started.text
            first = DEMO_ITEMS[SKILL][0]
            answered = assessment.put(
                f"/v1/attempts/{started.json()['id']}/responses/{item_id(SKILL, 1)}",
                json={"answer": _correct_answer(first["spec"])},
                headers=headers,
            )
            assert answered.status_code == 200, answered.text
        time.sleep(2.0)  # the relay tries, fails, and backs off meanwhile
        assert _received(receiver, learner, "response.scored") == []
    finally:
        demo.start_one(gateway_spec)
        demo.wait_ready(timeout=60, services=("gateway",))
    got = _wait_for(receiver, learner, "response.scored")
    assert len(got) == 1, demo.log_text("assessment")[-3000:]
    assert got[0]["payload"]["data"]["item_id"] == str(item_id(SKILL, 1))
    # Order after the outage: the learner's assessment events are still 1..n, no gap.
    deadline = time.monotonic() + WAIT_SECONDS
    subject = f"learner/{learner}/assessment"
    ordered = _by_subject(_all_of(receiver, learner)).get(subject, [])
    while len(ordered) < 2 and time.monotonic() < deadline:  # response.scored, mastery.changed
        time.sleep(0.2)
        ordered = _by_subject(_all_of(receiver, learner)).get(subject, [])
    assert [p["sequence"] for p in ordered] == list(range(1, len(ordered) + 1)), ordered
    assert ordered[0]["type"] == "response.scored"
