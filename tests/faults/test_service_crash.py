"""kill -9 of a service (assessment) during answers and during its outbox relay.

1. Learners answer through the gateway while the assessment service is killed and restarted.
   Clients retry what was not acknowledged (an answer is idempotent per item). Every
   acknowledged answer must be present and whole afterwards, scored exactly once, and no answer
   may get a 500 (a dead upstream is a 503, an interrupted one a 502/504).
2. The gateway is paused so the relay's POST to the event ingest hangs with its outbox rows
   claimed; the service is killed then. The events were maybe ingested, never marked published:
   they are sent again after the restart and must be deduplicated.

Every event the service committed (its outbox, read from its database) must reach a webhook
receiver, once after dedupe on the event id.
"""

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from pathwise_assessment.seed import check_id
from pathwise_devstack.testing import TEST_SECRET
from pathwise_gateway.seed import DEMO_DISTRICT
from pathwise_shared.auth import Principal, issue_internal_token
from tests.faults.support import (
    Receiver,
    answer_body,
    assert_no_500,
    create_endpoint,
    demo_learner,
    emitted,
    fault_stack,
    item_count,
    kill9,
    learner_headers,
    pause,
    restart,
    resume,
    start_attempt,
    wait_until,
)

pytestmark = pytest.mark.integration

SKILL = "3.OA.C.7"
SECOND_SKILL = "3.OA.A.1"
RETRY_BOUND_SECONDS = 60.0
DELIVERY_BOUND_SECONDS = 60.0


def _internal(learner: uuid.UUID) -> dict[str, str]:
    student = Principal(
        subject=str(learner), kind="user", district_id=DEMO_DISTRICT,
        roles=frozenset({"student"}), user_id=learner,
    )  # fmt: skip
    return {"Authorization": f"Bearer {issue_internal_token(student, TEST_SECRET)}"}


def _stored(answered: httpx.Response, item: str) -> dict[str, Any]:
    """The answer as the acknowledgement shows it stored (normalized by the service)."""
    [found] = [r["answer"] for r in answered.json()["responses"] if r["item_id"] == item]
    assert isinstance(found, dict)
    return found


def test_acknowledged_answers_and_events_survive_killing_assessment(tmp_path: Path) -> None:
    env = {"PATHWISE_HTTP_TIMEOUT_SECONDS": "5"}
    with fault_stack(tmp_path, env) as stack, Receiver() as receiver:
        gw_url = stack.config.url("gateway")
        learners = [demo_learner(n) for n in range(11, 17)]
        with httpx.Client(base_url=gw_url, timeout=20.0) as gw:
            endpoint = create_endpoint(gw, receiver.route("/all"), "every event")
            since = endpoint.created_at
            headers = {name: learner_headers(gw, name) for name, _ in learners}
            attempts = {
                name: start_attempt(gw, headers[name], SKILL, learner) for name, learner in learners
            }

        # -- 1. killed during answers -------------------------------------------------------
        acknowledged: dict[tuple[str, str], dict[str, Any]] = {}
        statuses: list[int] = []
        lock = threading.Lock()
        crashed = threading.Event()

        def answer_all(name: str) -> None:
            deadline = time.monotonic() + RETRY_BOUND_SECONDS
            with httpx.Client(base_url=gw_url, timeout=15.0) as client:
                for n in range(1, item_count(SKILL) + 1):
                    item, body = answer_body(SKILL, n)
                    while time.monotonic() < deadline:
                        try:
                            got = client.put(
                                f"/v1/attempts/{attempts[name]}/responses/{item}",
                                json=body, headers=headers[name],
                            )  # fmt: skip
                            status = got.status_code
                        except httpx.TransportError:
                            status = 0
                        with lock:
                            statuses.append(status)
                            if status == 200:
                                acknowledged[(attempts[name], item)] = _stored(got, item)
                        if status == 200:
                            break
                        time.sleep(0.5)
                    # Slow enough that the kill lands in the middle of the answers.
                    if not crashed.is_set():
                        time.sleep(0.4)

        workers = [threading.Thread(target=answer_all, args=(name,)) for name, _ in learners]
        for worker in workers:
            worker.start()
        time.sleep(1.0)
        kill9(stack, "assessment")
        crashed.set()
        time.sleep(1.0)
        restart(stack, "assessment")
        for worker in workers:
            worker.join(timeout=RETRY_BOUND_SECONDS + 30)
        assert_no_500(statuses, "answers while assessment was killed")
        expected = {(attempts[name], answer_body(SKILL, n)[0]) for name, _ in learners
                    for n in range(1, item_count(SKILL) + 1)}  # fmt: skip
        assert set(acknowledged) == expected, "some answers were never acknowledged"

        # -- 2. killed during the relay ----------------------------------------------------
        relayed_learner = demo_learner(17)[1]
        with httpx.Client(base_url=stack.config.url("assessment"), timeout=20.0) as direct:
            own = _internal(relayed_learner)
            started = direct.post(
                f"/v1/assessments/{check_id(SECOND_SKILL)}/attempts",
                json={"learner_id": str(relayed_learner)},
                headers=own,
            )
            assert started.status_code == 201, started.text
            second_attempt = started.json()["id"]
            pause(stack, "gateway")  # the relay's next POST to the ingest hangs
            try:
                for n in range(1, item_count(SECOND_SKILL) + 1):
                    item, body = answer_body(SECOND_SKILL, n)
                    got = direct.put(
                        f"/v1/attempts/{second_attempt}/responses/{item}", json=body, headers=own
                    )
                    assert got.status_code == 200, got.text
                    acknowledged[(second_attempt, item)] = _stored(got, item)
                time.sleep(1.5)  # the relay has claimed these rows and is waiting on the gateway
                kill9(stack, "assessment")
            finally:
                resume(stack, "gateway")
        restart(stack, "assessment")

        # -- every acknowledged write present and whole, scored once ---------------------
        with httpx.Client(base_url=gw_url, timeout=20.0) as gw:
            owners = {attempts[name]: headers[name] for name, _ in learners}
            owners[second_attempt] = learner_headers(gw, demo_learner(17)[0])
            stored: dict[tuple[str, str], dict[str, Any]] = {}
            for attempt, owner in owners.items():
                got = gw.get(f"/v1/attempts/{attempt}", headers=owner)
                assert got.status_code == 200, got.text
                items = [r["item_id"] for r in got.json()["responses"]]
                assert len(items) == len(set(items)), f"an item answered twice in {attempt}"
                # Scoring shows in the events below (a student's view hides it until finish).
                for r in got.json()["responses"]:
                    stored[(attempt, r["item_id"])] = r["answer"]
            lost = {k: v for k, v in acknowledged.items() if stored.get(k) != v}
            assert not lost, f"acknowledged answers missing or changed: {lost}"

        def all_delivered() -> bool:
            return set(emitted(stack, since)) <= set(receiver.acknowledged("/all"))

        wait_until(all_delivered, DELIVERY_BOUND_SECONDS, interval=1.0)
        events = emitted(stack, since)
        delivered = receiver.acknowledged("/all")
        missing = set(events) - set(delivered)
        assert not missing, (
            f"{len(missing)} of {len(events)} events never delivered: "
            f"{sorted(events[m]['type'] for m in missing)}"
        )
        scored = [e for e in events.values() if e["type"] == "response.scored"]
        per_answer = {(e["data"]["attempt_id"], e["data"]["item_id"]) for e in scored}
        assert len(scored) == len(per_answer) == len(acknowledged), (
            f"{len(scored)} response.scored events for {len(acknowledged)} answers"
        )
        for delivery in delivered.values():
            assert endpoint.verify(delivery)["id"] == delivery.webhook_id
