"""Concurrent answers of one learner through the real gateway (issue 11, finding 2).

A demo learner has the same skill check open in eight tabs and answers every item of all of them
at once, over real HTTP through the gateway to the real assessment service (uvicorn, its own
database). Before the fix this gave 500s on ``pk_mastery_states`` on PostgreSQL (502 at the
gateway, then a breaker open for everyone). Now: every answer is a 200, the history has one row
per response, and the mastery state is what the pure mastery model gives replaying those
responses in the recorded order (each with its item's difficulty and discrimination).
"""

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.bkt import BktParams
from pathwise_assessment.domain.scoring import guess_chance
from pathwise_assessment.seed import check_id, item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

# learner-07 on a skill no other test answers for them: the replay starts from the prior.
LEARNER_KEY = "learner-07"
LEARNER = demo_id("learner", LEARNER_KEY)
SKILL = "3.NF.A.3"
TABS = 8


def _answer(spec: dict[str, Any], right: bool) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "single_choice":
        wrong = next(c["id"] for c in spec["choices"] if c["id"] != spec["correct"])
        return {"choice": spec["correct"] if right else wrong}
    if kind == "numeric":
        value = {"value": spec["value"] if right else spec["value"] + 1000}
        return {**value, "unit": spec["unit"]} if spec.get("unit") else value
    if kind == "short_text":
        return {"text": spec["accepted"][0] if right else "no idea at all"}
    if kind == "multiple_select":
        return {"choices": spec["correct"] if right else []}
    if kind == "ordering":
        return {"order": spec["order"] if right else list(reversed(spec["order"]))}
    raise AssertionError(f"no demo answer for {kind}")


def test_eight_tabs_answering_at_once_equal_answering_one_by_one(gw: httpx.Client) -> None:
    me = dev_login(gw, LEARNER_KEY)
    admin = dev_login(gw, "admin-district")
    before = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=me)
    assert before.status_code == 200, before.text
    assert not [s for s in before.json()["skills"] if s["skill_code"] == SKILL]

    keys = {item_id(SKILL, n): raw["spec"] for n, raw in enumerate(DEMO_ITEMS[SKILL], start=1)}
    attempts = []
    for _ in range(TABS):
        started = gw.post(f"/v1/assessments/{check_id(SKILL)}/attempts",
                          json={"learner_id": str(LEARNER)}, headers=me)  # fmt: skip
        assert started.status_code == 201, started.text
        attempts.append(started.json())
    calls = [
        (a["id"], shown["item_id"],
         _answer(keys[uuid.UUID(shown["item_id"])], right=(tab + n) % 3 != 0))
        for tab, a in enumerate(attempts)
        for n, shown in enumerate(a["items"])
    ]  # fmt: skip

    def put(call: tuple[str, str, dict[str, Any]]) -> httpx.Response:
        attempt_id, item, answer = call
        return gw.put(f"/v1/attempts/{attempt_id}/responses/{item}", json={"answer": answer},
                      headers=me)  # fmt: skip

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        answers = list(pool.map(put, calls))
    # (a) no 5xx (nor any other refusal): none of these answers conflicts with another.
    assert [r.status_code for r in answers] == [200] * len(calls), [
        (r.status_code, r.text[:200]) for r in answers if r.status_code != 200
    ]

    responses: dict[str, dict[str, Any]] = {}
    for a in attempts:
        # Staff see how each answer was scored (a student only sees it after finishing).
        got = gw.get(f"/v1/attempts/{a['id']}", headers=admin)
        assert got.status_code == 200, got.text
        responses.update({r["id"]: r for r in got.json()["responses"]})
    assert len(responses) == len(calls)

    # (c) one history row per response.
    got = gw.get(f"/v1/learners/{LEARNER}/mastery/{SKILL}/history?limit=200", headers=me)
    assert got.status_code == 200, got.text
    history = [h for h in got.json()["items"] if h["reason"] == "response"]
    assert sorted(h["response_id"] for h in history) == sorted(responses)
    assert all(h["correct"] == responses[h["response_id"]]["correct"] for h in history)

    # (b) the sequential result: the pure rule over the history, in its (time-ordered) id order.
    got = gw.get(f"/v1/mastery/skills/{SKILL}/params", headers=admin)
    assert got.status_code == 200, got.text
    p = got.json()
    params = BktParams(p["prior"], p["learn"], p["guess"], p["slip"], p["forget"])
    models = {SKILL: rule.skill_model(params, p["threshold"])}
    items: dict[str, rule.ItemEvidence] = {}
    for shown in {r["item_id"] for r in responses.values()}:
        got = gw.get(f"/v1/items/{shown}", headers=admin)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["skill_codes"] == [SKILL]  # single-skill items: the replay needs no other
        items[shown] = rule.ItemEvidence(
            (SKILL,),
            body["difficulty"],
            body["discrimination"],
            shown,
            guess_chance(body["spec"]),
        )
    state = rule.MasteryState(params.prior)
    for h in history:
        assert abs(h["p_before"] - state.p_known) < 1e-6, "a step did not see the one before it"
        item = items[responses[h["response_id"]]["item_id"]]
        state = rule.apply_item_response({SKILL: state}, item, h["correct"], models)[SKILL]
    after = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=me)
    final = next(s for s in after.json()["skills"] if s["skill_code"] == SKILL)
    assert final["evidence_count"] == len(calls)
    assert abs(final["p_known"] - state.p_known) < 1e-6
    assert final["mastered"] is state.mastered and final["level"] == state.level
