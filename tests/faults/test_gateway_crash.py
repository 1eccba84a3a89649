"""kill -9 of the gateway during keyed writes (issue 11, finding 1).

Learners start skill checks with ``Idempotency-Key``. Some calls finish before the crash; others
are in flight when the gateway dies (the assessment service is paused so they are: the gateway
has reserved each key and is waiting on the forward). After a restart, a retry of every key must
get the created resource (the same id when one was created), never a permanent 409
``idempotency-key-in-progress``, and no learner may end up with a second attempt for one key.
"""

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from pathwise_assessment.seed import check_id
from tests.faults.support import (
    demo_learner,
    fault_stack,
    kill9,
    learner_headers,
    pause,
    restart,
    resume,
)

pytestmark = pytest.mark.integration

SKILL = "3.OA.C.7"
# How long a retry may keep meeting "in progress": the reservation's lease (a few seconds more
# than the upstream timeout, 5 s here) and a restart, with room for a loaded machine. A key still
# "in progress" after this is the 24-hour lock of the finding.
RETRY_BOUND_SECONDS = 45.0


def _keyed_start(
    gw: httpx.Client, headers: dict[str, str], learner: uuid.UUID, key: str
) -> httpx.Response:
    return gw.post(
        f"/v1/assessments/{check_id(SKILL)}/attempts",
        json={"learner_id": str(learner)},
        headers={**headers, "Idempotency-Key": key},
    )


def _retry_until_answered(
    gw: httpx.Client, calls: dict[str, tuple[dict[str, str], uuid.UUID]]
) -> dict[str, tuple[httpx.Response | None, list[int]]]:
    """Retry every key as a well-behaved client does (Retry-After honoured on 409/503/504),
    all keys together, until each has a final answer or the shared bound has passed."""
    seen: dict[str, list[int]] = {key: [] for key in calls}
    last: dict[str, httpx.Response | None] = dict.fromkeys(calls)
    pending = set(calls)
    deadline = time.monotonic() + RETRY_BOUND_SECONDS
    while pending:
        for key in sorted(pending):
            headers, learner = calls[key]
            try:
                answer = _keyed_start(gw, headers, learner, key)
            except httpx.TransportError:
                seen[key].append(0)
                continue
            seen[key].append(answer.status_code)
            last[key] = answer
            if answer.status_code not in (409, 503, 504):
                pending.discard(key)
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    return {key: (last[key], seen[key]) for key in calls}


def test_keyed_writes_survive_a_gateway_kill(tmp_path: Path) -> None:
    env = {"PATHWISE_HTTP_TIMEOUT_SECONDS": "5"}
    with fault_stack(tmp_path, env) as stack:
        gw_url = stack.config.url("gateway")
        learners = [demo_learner(n) for n in range(1, 7)]
        with httpx.Client(base_url=gw_url, timeout=20.0) as gw:
            headers = {name: learner_headers(gw, name) for name, _ in learners}

            # Acknowledged before the crash: the answer (and its id) is what a retry must repeat.
            done: dict[str, tuple[str, uuid.UUID, str]] = {}
            for name, learner in learners[:3]:
                key = f"done-{uuid.uuid4()}"
                answer = _keyed_start(gw, headers[name], learner, key)
                assert answer.status_code == 201, answer.text
                done[key] = (name, learner, answer.json()["id"])

        # In flight at the crash: the assessment service is paused, so each call is reserved
        # at the gateway and waiting on its forward when the gateway is killed.
        in_flight: dict[str, tuple[str, uuid.UUID]] = {
            f"crash-{uuid.uuid4()}": (name, learner) for name, learner in learners
        }
        outcomes: dict[str, str] = {}

        def send(key: str, name: str, learner: uuid.UUID) -> None:
            with httpx.Client(base_url=gw_url, timeout=30.0) as client:
                try:
                    outcomes[key] = str(_keyed_start(client, headers[name], learner, key))
                except httpx.TransportError as error:
                    outcomes[key] = f"lost: {type(error).__name__}"

        pause(stack, "assessment")
        try:
            threads = [
                threading.Thread(target=send, args=(key, name, learner))
                for key, (name, learner) in in_flight.items()
            ]
            for thread in threads:
                thread.start()
            time.sleep(2.0)  # every call reserved its key and is forwarding (timeout: 5 s)
            kill9(stack, "gateway")
        finally:
            resume(stack, "assessment")
        for thread in threads:
            thread.join(timeout=30)
        assert all(v.startswith("lost") for v in outcomes.values()), outcomes
        restart(stack, "gateway")

        with httpx.Client(base_url=gw_url, timeout=20.0) as gw:
            failures: list[str] = []
            answers = _retry_until_answered(
                gw,
                {key: (headers[v[0]], v[1]) for key, v in done.items()}
                | {key: (headers[v[0]], v[1]) for key, v in in_flight.items()},
            )
            for key, (_name, _learner, first_id) in done.items():
                final, seen = answers[key]
                if final is None or final.status_code not in (200, 201):
                    failures.append(f"acknowledged key {key}: statuses {seen}")
                elif final.json().get("id") != first_id:
                    failures.append(f"acknowledged key {key}: another id {final.text[:300]}")
            recovered: dict[str, str] = {}
            for key, (name, learner) in in_flight.items():
                final, seen = answers[key]
                if final is not None and final.status_code in (200, 201):
                    recovered[key] = final.json()["id"]
                    # The same answer again: the key now replays, it does not create.
                    again = _keyed_start(gw, headers[name], learner, key)
                    if again.status_code not in (200, 201) or again.json()["id"] != recovered[key]:
                        failures.append(f"key {key} replayed {again.status_code} {again.text}")
                else:
                    failures.append(
                        f"key {key} in flight at the crash: statuses {seen}, last "
                        f"{final.text[:300] if final is not None else 'no answer'}"
                    )
            assert not failures, "\n".join(failures)

            # Nothing duplicated: one attempt per key, per learner, on this check.
            for name, learner in learners:
                keys = [k for k, v in done.items() if v[1] == learner]
                keys += [k for k, v in in_flight.items() if v[1] == learner]
                listed = gw.get(
                    "/v1/attempts",
                    params={"learner_id": str(learner), "limit": 200},
                    headers=headers[name],
                )
                assert listed.status_code == 200, listed.text
                mine = [
                    a["id"]
                    for a in listed.json()["items"]
                    if a["assessment_id"] == str(check_id(SKILL))
                ]
                expected = {done[k][2] for k in keys if k in done}
                expected |= {recovered[k] for k in keys if k in recovered}
                assert sorted(mine) == sorted(expected), (name, mine, expected)
