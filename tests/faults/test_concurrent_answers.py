"""Concurrent answers of one learner on one skill (issue 11, finding 2): several attempts of the
same skill check, every item answered at once. No answer may fail (no 5xx, so no breaker
tripping for everyone), and the learner's final mastery must equal the sequential replay of the
evidence: the chain of states unbroken (each step starts where the previous one ended: no lost
update), one step per acknowledged answer, and the stored state what the pure mastery model
(``domain.mastery.apply_item_response``, each item with its difficulty) computes.
"""

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from pathwise_assessment.domain.bkt import BktParams
from pathwise_assessment.domain.mastery import (
    ItemEvidence,
    MasteryState,
    apply_item_response,
    skill_model,
)
from pathwise_assessment.domain.scoring import guess_chance
from tests.faults.support import (
    answer_body,
    demo_learner,
    fault_stack,
    item_count,
    learner_headers,
    start_attempt,
)

pytestmark = pytest.mark.integration

SKILL = "3.OA.C.7"
ATTEMPTS = 6


def test_concurrent_answers_of_one_learner_equal_the_sequential_replay(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as stack:
        gw_url = stack.config.url("gateway")
        username, learner = demo_learner(5)
        with httpx.Client(base_url=gw_url, timeout=30.0) as gw:
            headers = learner_headers(gw, username)
            teacher = learner_headers(gw, "teacher-01")
            attempts = [start_attempt(gw, headers, SKILL, learner) for _ in range(ATTEMPTS)]

        # Every item of every attempt at once; wrong and right answers mixed so the order of
        # the evidence matters to BKT.
        calls = [
            (attempt, *answer_body(SKILL, n, correct=(i + n) % 3 != 0))
            for i, attempt in enumerate(attempts)
            for n in range(1, item_count(SKILL) + 1)
        ]
        results: list[tuple[int, str]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(len(calls))

        def answer(attempt: str, item: str, body: dict[str, Any]) -> None:
            with httpx.Client(base_url=gw_url, timeout=30.0) as client:
                barrier.wait(timeout=30)
                try:
                    got = client.put(
                        f"/v1/attempts/{attempt}/responses/{item}", json=body, headers=headers
                    )
                    outcome = (got.status_code, got.text[:300])
                except httpx.TransportError as error:
                    outcome = (0, repr(error))
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=answer, args=call) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        statuses = sorted(status for status, _ in results)
        assert len(results) == len(calls)
        assert all(status == 200 for status in statuses), (
            f"statuses {statuses}; first failures: "
            f"{[text for status, text in results if status != 200][:3]}"
        )

        with httpx.Client(base_url=gw_url, timeout=30.0) as gw:
            responses: dict[str, str] = {}  # response id -> item id
            for attempt in attempts:
                got = gw.get(f"/v1/attempts/{attempt}", headers=headers)
                assert got.status_code == 200, got.text
                assert len(got.json()["responses"]) == item_count(SKILL)
                responses |= {r["id"]: r["item_id"] for r in got.json()["responses"]}
            items: dict[str, ItemEvidence] = {}
            for shown in set(responses.values()):
                got = gw.get(f"/v1/items/{shown}", headers=teacher)
                assert got.status_code == 200, got.text
                body = got.json()
                assert body["skill_codes"] == [SKILL]  # single-skill: the replay needs no other
                items[shown] = ItemEvidence(
                    (SKILL,),
                    body["difficulty"],
                    body["discrimination"],
                    shown,
                    guess_chance(body["spec"]),
                )
            history = gw.get(
                f"/v1/learners/{learner}/mastery/{SKILL}/history",
                params={"limit": 200},
                headers=teacher,
            )
            assert history.status_code == 200, history.text
            params = gw.get(f"/v1/mastery/skills/{SKILL}/params", headers=teacher)
            assert params.status_code == 200, params.text
            mastery = gw.get(f"/v1/learners/{learner}/mastery", headers=teacher)
            assert mastery.status_code == 200, mastery.text

        steps = [p for p in history.json()["items"] if p["reason"] == "response"]
        # One step per acknowledged answer, each answer once.
        assert sorted(p["response_id"] for p in steps) == sorted(responses)
        p = params.json()
        bkt = BktParams(p["prior"], p["learn"], p["guess"], p["slip"], p["forget"])
        models = {SKILL: skill_model(bkt, p["threshold"])}
        # The sequential replay, in the order the service applied the evidence.
        state = MasteryState(bkt.prior)
        broken: list[str] = []
        for step in steps:
            # The history shows P(known) rounded to 6 places: a lost update moves it far more.
            if abs(step["p_before"] - state.p_known) > 1e-5:
                broken.append(f"{step['response_id']}: began at {step['p_before']:.6f}, "
                              f"the previous step ended at {state.p_known:.6f}")  # fmt: skip
            item = items[responses[step["response_id"]]]
            state = apply_item_response({SKILL: state}, item, step["correct"], models)[SKILL]
        assert not broken, "lost updates:\n" + "\n".join(broken)
        [stored] = [s for s in mastery.json()["skills"] if s["skill_code"] == SKILL]
        assert stored["evidence_count"] == len(calls)
        # The API shows P(known) rounded to 6 places.
        assert stored["p_known"] == pytest.approx(state.p_known, abs=1e-5)
        assert stored["mastered"] == state.mastered
