"""The assessment API end to end, in-process, with real profiles and pathways apps beside it."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from pathwise_assessment.models import outbox
from pathwise_assessment.seed import DEMO_DISTRICT, check_id, item_id
from pathwise_devstack.profiles_fixtures import OTHER_DISTRICT, as_learner, learner
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.db import Database

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
ADMIN = make_principal(DEMO_DISTRICT, roles=["district_admin"])
OUTSIDER = make_principal(OTHER_DISTRICT, roles=["district_admin"])
CHOICES = [{"id": "a", "text": "54"}, {"id": "b", "text": "56"}, {"id": "c", "text": "63"}]


def item_body(code: str = "3.OA.C.7", difficulty: float = 0.0, **spec: object) -> dict[str, object]:
    return {
        "stem": "What is 8 × 7?",
        "skill_codes": [code],
        "difficulty": difficulty,
        "spec": spec or {"type": "single_choice", "choices": CHOICES, "correct": "b"},
    }


async def events(api: ServiceClient, kind: str) -> list[dict[str, Any]]:
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == kind)
            )
            return [r[0] for r in rows]
    finally:
        await db.dispose()


async def test_items_create_version_read_and_refuse(api: ServiceClient) -> None:
    created = await api.post(
        "/v1/items", json=item_body(), headers={**api.as_(TEACHER), "Idempotency-Key": "k-1"}
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["version"] == 1 and item["spec"]["correct"] == "b"
    replay = await api.post(
        "/v1/items", json=item_body(), headers={**api.as_(TEACHER), "Idempotency-Key": "k-1"}
    )
    assert replay.status_code == 200 and replay.json()["id"] == item["id"]
    edited = await api.put(
        f"/v1/items/{item['id']}", json=item_body(difficulty=1.0), headers=api.as_(TEACHER)
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    old = await api.get(f"/v1/items/{item['id']}?version=1", headers=api.as_(TEACHER))
    assert old.json()["difficulty"] == 0.0
    # Bad input, each a clear 4xx problem and nothing written.
    unknown = await api.post("/v1/items", json=item_body(code="9.ZZ.Z.9"), headers=api.as_(TEACHER))
    assert (
        unknown.status_code == 422
        and unknown.json()["type"] == "https://pathwise.dev/problems/unknown-skill"
    )
    bad_key = await api.post(
        "/v1/items",
        json=item_body(type="single_choice", choices=CHOICES, correct="z"),
        headers=api.as_(TEACHER),
    )
    assert bad_key.status_code == 422
    extra = await api.post(
        "/v1/items", json={**item_body(), "surprise": 1}, headers=api.as_(TEACHER)
    )
    assert extra.status_code == 422
    change_type = await api.put(
        f"/v1/items/{item['id']}",
        json=item_body(type="numeric", value=56),
        headers=api.as_(TEACHER),
    )
    assert change_type.status_code == 409
    assert (
        await api.post("/v1/items", json=item_body(), headers=api.as_(as_learner(1)))
    ).status_code == 403
    assert (await api.get(f"/v1/items/{item['id']}", headers=api.as_(OUTSIDER))).status_code == 404
    assert (
        await api.get(f"/v1/items/{item['id']}?version=9", headers=api.as_(TEACHER))
    ).status_code == 404
    assert (await api.get("/v1/items?cursor=@@@", headers=api.as_(TEACHER))).status_code == 400
    listed = await api.get("/v1/items?skill_code=3.OA.C.7&limit=2", headers=api.as_(TEACHER))
    assert (
        listed.status_code == 200
        and len(listed.json()["items"]) == 2
        and listed.json()["next_cursor"]
    )


async def test_pathways_outage_is_a_503_problem(api_pathways_down: ServiceClient) -> None:
    response = await api_pathways_down.post(
        "/v1/items", json=item_body(), headers=api_pathways_down.as_(TEACHER)
    )
    assert response.status_code == 503
    assert response.json()["type"] == "https://pathwise.dev/problems/skills-unavailable"
    assert response.headers["content-type"] == "application/problem+json"


async def test_demo_skill_check_moves_mastery_and_never_leaks_keys(api: ServiceClient) -> None:
    student = as_learner(3)
    headers = api.as_(student)
    started = await api.post(
        f"/v1/assessments/{check_id('3.OA.C.7')}/attempts",
        json={"learner_id": str(learner(3))},
        headers={**headers, "Idempotency-Key": "start-3"},
    )
    assert started.status_code == 201, started.text
    attempt = started.json()
    again = await api.post(
        f"/v1/assessments/{check_id('3.OA.C.7')}/attempts",
        json={"learner_id": str(learner(3))},
        headers={**headers, "Idempotency-Key": "start-3"},
    )
    assert again.status_code == 200 and again.json()["id"] == attempt["id"]
    assert len(attempt["items"]) == 4
    for shown in attempt["items"]:
        assert not {"correct", "value", "tolerance", "accepted", "pattern"} & set(shown["spec"])
    answers = {
        item_id("3.OA.C.7", 1): {"choice": "b"},
        item_id("3.OA.C.7", 2): {"value": "7"},
        item_id("3.OA.C.7", 3): {"value": 54},
        item_id("3.OA.C.7", 4): {"text": "Eight"},
    }
    url = f"/v1/attempts/{attempt['id']}"
    for iid, answer in answers.items():
        answered = await api.put(f"{url}/responses/{iid}", json={"answer": answer}, headers=headers)
        assert answered.status_code == 200, answered.text
        mine = next(r for r in answered.json()["responses"] if r["item_id"] == str(iid))
        assert mine["status"] == "recorded" and mine["correct"] is None  # no key before finish
    first = item_id("3.OA.C.7", 1)
    same = await api.put(
        f"{url}/responses/{first}", json={"answer": {"choice": "b"}}, headers=headers
    )
    assert same.status_code == 200 and len(same.json()["responses"]) == 4
    other = await api.put(
        f"{url}/responses/{first}", json={"answer": {"choice": "a"}}, headers=headers
    )
    assert (
        other.status_code == 409
        and other.json()["type"] == "https://pathwise.dev/problems/already-answered"
    )
    shape = await api.put(
        f"{url}/responses/{item_id('3.OA.C.7', 2)}",
        json={"answer": {"choice": "a"}},
        headers=headers,
    )
    assert (
        shape.status_code == 422
        and shape.json()["type"] == "https://pathwise.dev/problems/invalid-answer"
    )
    stranger = await api.put(
        f"{url}/responses/{item_id('5.NF.B.4', 1)}",
        json={"answer": {"choice": "a"}},
        headers=headers,
    )
    assert (
        stranger.status_code == 422
        and stranger.json()["type"] == "https://pathwise.dev/problems/item-not-in-attempt"
    )
    assert (await api.get(url, headers=api.as_(as_learner(4)))).status_code == 404
    finished = await api.post(f"{url}/finish", headers=headers)
    assert finished.status_code == 200
    body = finished.json()
    assert body["status"] == "finished" and body["score"] == 4 and body["max_score"] == 4
    assert body["results"]["skills"]["3.OA.C.7"]["percent"] == 100.0
    assert any("correct" in i["spec"] for i in body["items"])  # keys after finish
    late = await api.put(
        f"{url}/responses/{item_id('3.OA.C.7', 4)}", json={"answer": {"text": "9"}}, headers=headers
    )
    assert late.status_code == 409
    assert (await api.post(f"{url}/finish", headers=headers)).json()["score"] == 4
    mastery = await api.get(f"/v1/learners/{learner(3)}/mastery", headers=headers)
    skill = mastery.json()["skills"][0]
    assert (
        skill["skill_code"] == "3.OA.C.7"
        and skill["evidence_count"] == 4
        and skill["p_known"] > 0.8
    )
    history = await api.get(
        f"/v1/learners/{learner(3)}/mastery/3.OA.C.7/history", headers=api.as_(TEACHER)
    )
    points = history.json()["items"]
    assert len(points) == 4 and all(p["response_id"] for p in points)
    assert points[0]["p_known"] < points[-1]["p_known"]
    scored = await events(api, "response.scored")
    assert sum(e["data"]["attempt_id"] == attempt["id"] for e in scored) == 4
    completed = [
        e
        for e in await events(api, "attempt.completed")
        if e["data"]["attempt_id"] == attempt["id"]
    ]
    assert len(completed) == 1
    changed = [
        e["data"]
        for e in await events(api, "mastery.changed")
        if e["data"]["learner_id"] == str(learner(3))
    ]
    assert changed and {"p_known", "mastered", "previous_mastered", "level", "evidence"} <= set(
        changed[-1]
    )
    # The internal contract for pathways and the gateway.
    internal = await api.get(f"/internal/learners/{learner(3)}/mastery", headers=api.as_(TEACHER))
    assert internal.json()["skills"][0]["level"] == skill["level"]
    query = await api.post(
        "/internal/mastery/query",
        headers=api.as_(TEACHER),
        json={"learner_ids": [str(learner(3)), str(learner(4))]},
    )
    assert [row["learner_id"] for row in query.json()["items"]] == [str(learner(3))]
    assert (
        await api.post(
            "/internal/mastery/query", json={"learner_ids": []}, headers=api.as_(TEACHER)
        )
    ).status_code == 422


async def test_students_start_only_their_own_and_time_limits_honour_extended_time(
    api: ServiceClient,
) -> None:
    created = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "skill_check",
            "title": "Timed",
            "skill_codes": ["3.OA.C.7"],
            "time_limit_seconds": 600,
            "item_ids": [str(item_id("3.OA.C.7", 1))],
        },
    )
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    mine = await api.post(
        f"/v1/assessments/{aid}/attempts",
        json={"learner_id": str(learner(2))},
        headers=api.as_(as_learner(2)),
    )
    assert mine.status_code == 201, mine.text
    body = mine.json()
    # The factor tells an accommodation: the student gets the deadline, staff also the factor.
    assert body["time_factor"] is None
    staff_view = await api.get(f"/v1/attempts/{body['id']}", headers=api.as_(TEACHER))
    assert staff_view.json()["time_factor"] == 1.5
    from datetime import datetime

    span = datetime.fromisoformat(body["deadline_at"]) - datetime.fromisoformat(body["started_at"])
    assert span == timedelta(seconds=900)
    plain = await api.post(
        f"/v1/assessments/{aid}/attempts",
        json={"learner_id": str(learner(3))},
        headers=api.as_(as_learner(3)),
    )
    assert plain.json()["time_factor"] is None
    theirs = await api.post(
        f"/v1/assessments/{aid}/attempts",
        json={"learner_id": str(learner(2))},
        headers=api.as_(as_learner(3)),
    )
    assert theirs.status_code == 403
    for bad in (
        {"kind": "skill_check", "title": "x", "skill_codes": ["3.OA.C.7"]},
        {
            "kind": "skill_check",
            "title": "x",
            "skill_codes": ["3.OA.C.7"],
            "item_ids": [str(uuid.uuid4())],
        },
        {
            "kind": "adaptive",
            "title": "x",
            "skill_codes": ["3.OA.C.7"],
            "item_ids": [str(item_id("3.OA.C.7", 1))],
        },
        {"kind": "quiz", "title": "x", "skill_codes": ["3.OA.C.7"]},
    ):
        assert (
            await api.post("/v1/assessments", json=bad, headers=api.as_(TEACHER))
        ).status_code == 422
    missing = await api.post(
        f"/v1/assessments/{uuid.uuid4()}/attempts",
        json={"learner_id": str(learner(2))},
        headers=api.as_(TEACHER),
    )
    assert missing.status_code == 404


async def test_adaptive_and_diagnostic(api: ServiceClient) -> None:
    for n in range(12):
        made = await api.post(
            "/v1/items",
            headers=api.as_(TEACHER),
            json=item_body(code="4.NBT.B.6", difficulty=-2 + n * 0.35, type="numeric", value=n + 1),
        )
        assert made.status_code == 201
    created = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "adaptive",
            "title": "Adaptive",
            "skill_codes": ["4.NBT.B.6"],
            "max_items": 5,
            "target_se": 0.1,
        },
    )
    assert created.status_code == 201, created.text
    attempt = (
        await api.post(
            f"/v1/assessments/{created.json()['id']}/attempts",
            json={"learner_id": str(learner(12))},
            headers=api.as_(as_learner(12)),
        )
    ).json()
    url = f"/v1/attempts/{attempt['id']}"
    served: list[str] = []
    for _ in range(20):  # bounded: a broken stop rule fails the assertion below, never hangs
        nxt = (await api.post(f"{url}/next", headers=api.as_(as_learner(12)))).json()
        if nxt["done"]:
            break
        assert nxt["learner_id"] == str(learner(12)) and nxt["attempt_id"] == attempt["id"]
        again = (await api.post(f"{url}/next", headers=api.as_(as_learner(12)))).json()
        assert again["item"]["item_id"] == nxt["item"]["item_id"]  # unanswered: same item again
        assert "value" not in nxt["item"]["spec"] and "correct" not in nxt["item"]["spec"]
        served.append(nxt["item"]["item_id"])
        put = await api.put(
            f"{url}/responses/{nxt['item']['item_id']}",
            json={"answer": {"value": 999}},
            headers=api.as_(as_learner(12)),
        )
        assert put.status_code == 200, put.text
    assert len(served) == 5 == len(set(served))
    done = (await api.post(f"{url}/finish", headers=api.as_(as_learner(12)))).json()
    assert done["ability"]["theta"] < 0  # all wrong
    fixed = await api.post(f"/v1/attempts/{attempt['id']}/next", headers=api.as_(as_learner(12)))
    assert fixed.status_code == 409
    diag = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "diagnostic",
            "title": "Place",
            "skill_codes": ["4.NBT.B.4", "4.NBT.B.5"],
            "max_items": 3,
        },
    )
    d_attempt = (
        await api.post(
            f"/v1/assessments/{diag.json()['id']}/attempts",
            json={"learner_id": str(learner(13))},
            headers=api.as_(TEACHER),
        )
    ).json()
    for _ in range(3):
        nxt = (
            await api.post(f"/v1/attempts/{d_attempt['id']}/next", headers=api.as_(TEACHER))
        ).json()
        assert not nxt["done"]
    result = (
        await api.post(f"/v1/attempts/{d_attempt['id']}/finish", headers=api.as_(TEACHER))
    ).json()
    assert set(result["results"]["placement"]["p_correct_by_skill"]) == {"4.NBT.B.4", "4.NBT.B.5"}


async def test_rubric_scoring_and_fits(api: ServiceClient) -> None:
    rubric = [
        {"id": "idea", "description": "Explains the idea", "points": 2},
        {"id": "work", "description": "Shows the work", "points": 2},
    ]
    made = await api.post(
        "/v1/items",
        headers=api.as_(TEACHER),
        json={
            **item_body(code="5.NF.A.1"),
            "points": 4,
            "spec": {"type": "open_response", "rubric": rubric},
        },
    )
    assert made.status_code == 201, made.text
    wrong_points = await api.post(
        "/v1/items",
        headers=api.as_(TEACHER),
        json={
            **item_body(code="5.NF.A.1"),
            "points": 3,
            "spec": {"type": "open_response", "rubric": rubric},
        },
    )
    assert wrong_points.status_code == 422
    check = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "summative",
            "title": "Explain",
            "skill_codes": ["5.NF.A.1"],
            "item_ids": [made.json()["id"]],
        },
    )
    attempt = (
        await api.post(
            f"/v1/assessments/{check.json()['id']}/attempts",
            json={"learner_id": str(learner(21))},
            headers=api.as_(TEACHER),
        )
    ).json()
    url = f"/v1/attempts/{attempt['id']}"
    answered = await api.put(
        f"{url}/responses/{made.json()['id']}",
        json={"answer": {"text": "Because 1/2 = 3/6"}},
        headers=api.as_(TEACHER),
    )
    response = answered.json()["responses"][0]
    assert response["status"] == "pending"
    finished = (await api.post(f"{url}/finish", headers=api.as_(TEACHER))).json()
    assert finished["results"]["pending"] == 1
    bad = await api.post(
        f"{url}/responses/{response['id']}/rubric-score",
        json={"criteria": {"idea": 5, "work": 0}},
        headers=api.as_(TEACHER),
    )
    assert bad.status_code == 422
    assert (
        await api.post(
            f"{url}/responses/{response['id']}/rubric-score",
            json={"criteria": {"idea": 2, "work": 2}},
            headers=api.as_(as_learner(21)),
        )
    ).status_code == 403
    good = await api.post(
        f"{url}/responses/{response['id']}/rubric-score",
        json={"criteria": {"idea": 2, "work": 2}},
        headers=api.as_(TEACHER),
    )
    assert (
        good.status_code == 200
        and good.json()["score"] == 4
        and good.json()["results"]["pending"] == 0
    )
    again = await api.post(
        f"{url}/responses/{response['id']}/rubric-score",
        json={"criteria": {"idea": 2, "work": 2}},
        headers=api.as_(TEACHER),
    )
    assert again.status_code == 409
    # Fitting: admins only; stores parameters for skills with enough responses.
    assert (
        await api.post("/v1/mastery/fits", json={}, headers=api.as_(TEACHER))
    ).status_code == 403
    assert (
        await api.post("/v1/mastery/fits", json={"min_responses": 1}, headers=api.as_(ADMIN))
    ).status_code == 422
    started = await api.post("/v1/mastery/fits", json={"min_responses": 10}, headers=api.as_(ADMIN))
    assert started.status_code == 202 and started.json()["status"] == "running"
    assert started.headers["location"] == f"/v1/mastery/fits/{started.json()['id']}"
    fit = await api.get(started.headers["location"], headers=api.as_(ADMIN))
    for _ in range(50):  # bounded: the run finishes after the response (here, before it returns)
        if fit.json()["status"] != "running":
            break
        await asyncio.sleep(0.1)
        fit = await api.get(started.headers["location"], headers=api.as_(ADMIN))
    assert fit.json()["status"] == "succeeded" and fit.json()["finished_at"]
    assert fit.json()["response_count"] >= 1
    listed = await api.get("/v1/mastery/fits", headers=api.as_(ADMIN))
    assert fit.json()["id"] in [f["id"] for f in listed.json()["items"]]
    assert (
        await api.get(f"/v1/mastery/fits/{fit.json()['id']}", headers=api.as_(OUTSIDER))
    ).status_code == 404
