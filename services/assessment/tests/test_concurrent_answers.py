"""Concurrent answers of one learner (issue 11, finding 2): no 5xx, no lost update.

Several attempts of the same learner on the same skill are answered all at once (two tabs, two
devices, a client retrying). Every answer must succeed, and the learner's mastery state must be
exactly what applying the same responses one after another gives: the pure mastery model
(``domain.mastery.apply_item_response``) replayed over the history in its recorded order. Runs on SQLite and, with ``PATHWISE_TEST_DATABASE=postgresql``,
on PostgreSQL (where main answered 500 on ``pk_mastery_states``).
"""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.bkt import BktParams
from pathwise_assessment.domain.scoring import guess_chance
from pathwise_assessment.repository import attempts as attempts_repo
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_devstack.testing import ServiceClient, make_principal

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
CHOICES = [{"id": "a", "text": "1/2"}, {"id": "b", "text": "2/4"}, {"id": "c", "text": "3/4"}]
SPEC = {"type": "single_choice", "choices": CHOICES, "correct": "b"}
ATTEMPTS = 8
ITEMS = 5


async def _items(api: ServiceClient, code: str, n: int) -> list[str]:
    ids = []
    for k in range(n):
        made = await api.post(
            "/v1/items",
            headers=api.as_(TEACHER),
            json={
                "stem": f"Which fraction equals 1/2? (race {k})",
                "skill_codes": [code],
                "spec": SPEC,
            },
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids


async def _attempts(api: ServiceClient, code: str, learner: uuid.UUID, n: int) -> list[Any]:
    items = await _items(api, code, ITEMS)
    made = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "summative",
            "title": "Race",
            "skill_codes": [code],
            "item_ids": items,
        },
    )
    assert made.status_code == 201, made.text
    attempts = []
    for _ in range(n):
        started = await api.post(
            f"/v1/assessments/{made.json()['id']}/attempts",
            headers=api.as_(TEACHER),
            json={"learner_id": str(learner)},
        )
        assert started.status_code == 201, started.text
        attempts.append(started.json())
    return attempts


async def _put(api: ServiceClient, attempt_id: str, item_id: str, choice: str) -> httpx.Response:
    return await api.put(
        f"/v1/attempts/{attempt_id}/responses/{item_id}",
        json={"answer": {"choice": choice}},
        headers=api.as_(TEACHER),
    )


async def _history(api: ServiceClient, learner: uuid.UUID, code: str) -> list[dict[str, Any]]:
    got = await api.get(
        f"/v1/learners/{learner}/mastery/{code}/history?limit=200", headers=api.as_(TEACHER)
    )
    assert got.status_code == 200, got.text
    assert got.json()["next_cursor"] is None
    items: list[dict[str, Any]] = got.json()["items"]
    return items


async def _state(api: ServiceClient, learner: uuid.UUID, code: str) -> dict[str, Any]:
    got = await api.get(f"/v1/learners/{learner}/mastery", headers=api.as_(TEACHER))
    assert got.status_code == 200, got.text
    found: dict[str, Any] = next(s for s in got.json()["skills"] if s["skill_code"] == code)
    return found


async def _params(api: ServiceClient, code: str) -> tuple[BktParams, float]:
    got = await api.get(f"/v1/mastery/skills/{code}/params", headers=api.as_(TEACHER))
    assert got.status_code == 200, got.text
    p = got.json()
    return BktParams(p["prior"], p["learn"], p["guess"], p["slip"], p.get("forget", 0.0)), float(
        p["threshold"]
    )


def _choice(attempt: int, item: int) -> str:
    # A mix of right and wrong answers, so the order of application matters for P(known).
    return "b" if (attempt + item) % 3 else "a"


async def test_concurrent_answers_of_one_learner_equal_the_sequential_result(
    api: ServiceClient,
) -> None:
    code, learner = "4.NF.A.2", uuid.uuid4()
    attempts = await _attempts(api, code, learner, ATTEMPTS)
    calls = [
        _put(api, a["id"], item["item_id"], _choice(i, j))
        for i, a in enumerate(attempts)
        for j, item in enumerate(a["items"])
    ]
    answers = await asyncio.gather(*calls)
    # (a) no 5xx: every answer is accepted (none of them conflicts with another).
    assert [r.status_code for r in answers] == [200] * len(calls), [
        (r.status_code, r.text[:200]) for r in answers if r.status_code != 200
    ]

    responses = {}
    for a in attempts:
        got = await api.get(f"/v1/attempts/{a['id']}", headers=api.as_(TEACHER))
        assert got.status_code == 200, got.text
        assert len(got.json()["responses"]) == ITEMS
        for r in got.json()["responses"]:
            responses[r["id"]] = r
    assert len(responses) == ATTEMPTS * ITEMS

    # (c) one history row per response, each naming its response and its outcome.
    history = [h for h in await _history(api, learner, code) if h["reason"] == "response"]
    assert sorted(h["response_id"] for h in history) == sorted(responses)
    assert all(h["correct"] == responses[h["response_id"]]["correct"] for h in history)

    # (b) the final state is the sequential result: replay in the recorded order (history ids
    # are time-ordered) through the pure rule. Each step must also start where the last ended.
    params, threshold = await _params(api, code)
    models = {code: rule.skill_model(params, threshold)}
    # Every item of the race: difficulty 0, discrimination 1, three options.
    item = rule.ItemEvidence((code,), guess_floor=guess_chance(SPEC))
    state = rule.MasteryState(params.prior)
    for h in history:
        assert abs(h["p_before"] - state.p_known) < 1e-6, "a step did not see the one before it"
        state = rule.apply_item_response({code: state}, item, h["correct"], models)[code]
        assert abs(h["p_known"] - state.p_known) < 1e-6
    final = await _state(api, learner, code)
    assert final["evidence_count"] == ATTEMPTS * ITEMS
    assert abs(final["p_known"] - state.p_known) < 1e-6
    assert final["mastered"] is state.mastered
    assert final["level"] == state.level


async def test_the_same_answer_sent_twice_at_once_is_one_response(api: ServiceClient) -> None:
    """A client retry racing its first try (and other items of the same attempt racing too): the
    same answer again is a no-op (200), recorded and counted once."""
    code, learner = "4.NF.A.2", uuid.uuid4()
    (attempt,) = await _attempts(api, code, learner, 1)
    calls = [
        _put(api, attempt["id"], item["item_id"], "b")
        for item in attempt["items"]
        for _ in range(2)
    ]
    answers = await asyncio.gather(*calls)
    assert [r.status_code for r in answers] == [200] * len(calls), [
        (r.status_code, r.text[:200]) for r in answers if r.status_code != 200
    ]
    history = [h for h in await _history(api, learner, code) if h["reason"] == "response"]
    assert len(history) == ITEMS and len({h["response_id"] for h in history}) == ITEMS
    assert (await _state(api, learner, code))["evidence_count"] == ITEMS


async def test_two_teachers_scoring_one_response_at_once_apply_it_once(
    api: ServiceClient,
) -> None:
    """The rubric path is a read-modify-write too (pending → scored, then evidence): the second
    teacher gets a 409 and the learner's evidence counts the response once."""
    code, learner = "4.NF.A.2", uuid.uuid4()
    rubric = [{"id": "idea", "description": "Explains the idea", "points": 2}]
    made = await api.post(
        "/v1/items",
        headers=api.as_(TEACHER),
        json={
            "stem": "Why is 2/4 = 1/2?",
            "skill_codes": [code],
            "points": 2,
            "spec": {"type": "open_response", "rubric": rubric},
        },
    )
    assert made.status_code == 201, made.text
    check = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "summative",
            "title": "Explain",
            "skill_codes": [code],
            "item_ids": [made.json()["id"]],
        },
    )
    attempt = await api.post(
        f"/v1/assessments/{check.json()['id']}/attempts",
        headers=api.as_(TEACHER),
        json={"learner_id": str(learner)},
    )
    url = f"/v1/attempts/{attempt.json()['id']}"
    answered = await api.put(
        f"{url}/responses/{made.json()['id']}",
        json={"answer": {"text": "halves"}},
        headers=api.as_(TEACHER),
    )
    response_id = answered.json()["responses"][0]["id"]
    scores = await asyncio.gather(
        *(
            api.post(
                f"{url}/responses/{response_id}/rubric-score",
                json={"criteria": {"idea": 2}},
                headers=api.as_(TEACHER),
            )
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in scores) == [200, 409, 409, 409], [
        r.text[:200] for r in scores
    ]
    assert all(
        r.headers["content-type"].startswith("application/problem+json")
        for r in scores
        if r.status_code == 409
    )
    history = [h for h in await _history(api, learner, code) if h["reason"] == "response"]
    assert [h["response_id"] for h in history] == [response_id]
    assert (await _state(api, learner, code))["evidence_count"] == 1


async def test_a_response_insert_lost_to_a_race_is_a_409_problem(
    api: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line of defence: were the attempt lock ever bypassed, the response's unique key
    (attempt, item) still holds and the loser gets a 409 problem, never a 500. The race is staged
    by hiding the committed response from the answer path's read, so the insert really collides
    in the database."""
    code, learner = "4.NF.A.2", uuid.uuid4()
    (attempt,) = await _attempts(api, code, learner, 1)
    item_id = attempt["items"][0]["item_id"]
    assert (await _put(api, attempt["id"], item_id, "b")).status_code == 200

    real_rows = attempts_repo.attempt_rows

    async def nothing_yet(session: Any, attempt_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
        items, _ = await real_rows(session, attempt_id)
        return items, []

    monkeypatch.setattr(attempts_repo, "attempt_rows", nothing_yet)
    lost = await _put(api, attempt["id"], item_id, "b")
    assert lost.status_code == 409, lost.text
    assert lost.headers["content-type"].startswith("application/problem+json")
    assert lost.json()["type"].endswith("/already-answered")
    monkeypatch.undo()
    assert (await _state(api, learner, code))["evidence_count"] == 1
