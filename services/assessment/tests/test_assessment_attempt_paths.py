"""Attempt paths: the item version an attempt saw, the deadline, the adaptive stop at a target
standard error, and Idempotency-Key on creating an assessment."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from pathwise_assessment.models import Attempt, Response
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_devstack.profiles_fixtures import as_learner, learner
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.db import Database
from pathwise_shared.timeutil import utcnow

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
TEACHER_2 = make_principal(DEMO_DISTRICT, roles=["teacher"])
CHOICES = [{"id": "a", "text": "12"}, {"id": "b", "text": "24"}, {"id": "c", "text": "36"}]


def choice_item(code: str, correct: str, difficulty: float = 0.0) -> dict[str, object]:
    return {
        "stem": "What is 4 × 6?",
        "skill_codes": [code],
        "difficulty": difficulty,
        "spec": {"type": "single_choice", "choices": CHOICES, "correct": correct},
    }


async def test_attempt_is_scored_against_the_version_it_saw(api: ServiceClient) -> None:
    code = "4.OA.A.1"
    made = await api.post("/v1/items", json=choice_item(code, "b"), headers=api.as_(TEACHER))
    iid = made.json()["id"]
    check = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={"kind": "skill_check", "title": "Versions", "skill_codes": [code], "item_ids": [iid]},
    )
    url = f"/v1/assessments/{check.json()['id']}/attempts"
    early = (
        await api.post(url, json={"learner_id": str(uuid.uuid4())}, headers=api.as_(TEACHER))
    ).json()
    # The author fixes the key while the attempt is open: version 2 says "c".
    edited = await api.put(
        f"/v1/items/{iid}", json=choice_item(code, "c", 1.0), headers=api.as_(TEACHER)
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    late = (
        await api.post(url, json={"learner_id": str(uuid.uuid4())}, headers=api.as_(TEACHER))
    ).json()
    assert early["items"][0]["version"] == 1 and late["items"][0]["version"] == 2
    for attempt in (early, late):
        put = await api.put(
            f"/v1/attempts/{attempt['id']}/responses/{iid}",
            json={"answer": {"choice": "b"}},
            headers=api.as_(TEACHER),
        )
        assert put.status_code == 200, put.text
    early_done = (
        await api.post(f"/v1/attempts/{early['id']}/finish", headers=api.as_(TEACHER))
    ).json()
    late_done = (
        await api.post(f"/v1/attempts/{late['id']}/finish", headers=api.as_(TEACHER))
    ).json()
    assert early_done["score"] == 1 and early_done["items"][0]["spec"]["correct"] == "b"
    assert late_done["score"] == 0 and late_done["items"][0]["spec"]["correct"] == "c"


async def test_answers_after_the_deadline_are_refused(api: ServiceClient) -> None:
    code = "4.OA.A.2"
    made = await api.post("/v1/items", json=choice_item(code, "b"), headers=api.as_(TEACHER))
    iid = made.json()["id"]
    timed = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "skill_check",
            "title": "Timed",
            "skill_codes": [code],
            "item_ids": [iid],
            "time_limit_seconds": 60,
        },
    )
    student = as_learner(3)
    attempt = (
        await api.post(
            f"/v1/assessments/{timed.json()['id']}/attempts",
            json={"learner_id": str(learner(3))},
            headers=api.as_(student),
        )
    ).json()
    # The clock runs out (moved back rather than waited for: the shortest limit is 30 s).
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            await session.execute(
                update(Attempt)
                .where(Attempt.id == uuid.UUID(attempt["id"]))
                .values(deadline_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        late = await api.put(
            f"/v1/attempts/{attempt['id']}/responses/{iid}",
            json={"answer": {"choice": "b"}},
            headers=api.as_(student),
        )
        assert (
            late.status_code == 409
            and late.json()["type"] == "https://pathwise.dev/problems/attempt-time-expired"
        )
        async with db.session() as session:
            stored = await session.scalar(
                select(func.count())
                .select_from(Response)
                .where(Response.attempt_id == uuid.UUID(attempt["id"]))
            )
        assert stored == 0  # nothing half-written
    finally:
        await db.dispose()
    done = await api.post(f"/v1/attempts/{attempt['id']}/finish", headers=api.as_(student))
    assert done.status_code == 200 and done.json()["score"] == 0


async def test_adaptive_stops_at_the_target_standard_error(api: ServiceClient) -> None:
    code = "4.OA.A.3"
    for n in range(15):
        made = await api.post(
            "/v1/items",
            headers=api.as_(TEACHER),
            json={
                "stem": f"Item {n}",
                "skill_codes": [code],
                "difficulty": -1.4 + n * 0.2,
                "discrimination": 2.5,
                "spec": {"type": "numeric", "value": n},
            },
        )
        assert made.status_code == 201, made.text
    created = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "adaptive",
            "title": "Precise enough",
            "skill_codes": [code],
            "max_items": 15,
            "target_se": 0.45,
        },
    )
    attempt = (
        await api.post(
            f"/v1/assessments/{created.json()['id']}/attempts",
            json={"learner_id": str(uuid.uuid4())},
            headers=api.as_(TEACHER),
        )
    ).json()
    url = f"/v1/attempts/{attempt['id']}"
    answered = 0
    nxt: dict[str, object] = {}
    for turn in range(15):  # bounded by max_items: a broken stop rule fails below, never hangs
        nxt = (await api.post(f"{url}/next", headers=api.as_(TEACHER))).json()
        if nxt["done"]:
            break
        item = nxt["item"]
        assert isinstance(item, dict)
        # Alternate right and wrong so ability stays where the bank is informative.
        value = int(item["spec"]["value"]) if turn % 2 == 0 else -1
        put = await api.put(
            f"{url}/responses/{item['item_id']}",
            json={"answer": {"value": value}},
            headers=api.as_(TEACHER),
        )
        assert put.status_code == 200, put.text
        answered += 1
    assert nxt["done"] is True and 1 <= answered < 15
    ability = nxt["ability"]
    assert isinstance(ability, dict) and ability["se"] <= 0.45


async def test_creating_an_assessment_is_idempotent(api: ServiceClient) -> None:
    code = "4.OA.B.4"
    made = await api.post("/v1/items", json=choice_item(code, "b"), headers=api.as_(TEACHER))
    body = {
        "kind": "skill_check",
        "title": "Once",
        "skill_codes": [code],
        "item_ids": [made.json()["id"]],
    }
    key = {"Idempotency-Key": f"create-{uuid.uuid4()}"}
    first = await api.post("/v1/assessments", json=body, headers={**api.as_(TEACHER), **key})
    again = await api.post("/v1/assessments", json=body, headers={**api.as_(TEACHER), **key})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = await api.post("/v1/assessments", json=body, headers=api.as_(TEACHER))
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same key with another request is a client bug: 422, never the first assessment.
    changed = await api.post(
        "/v1/assessments", json={**body, "title": "Twice"}, headers={**api.as_(TEACHER), **key}
    )
    assert changed.status_code == 422, changed.text
    assert changed.json()["type"] == "https://pathwise.dev/problems/idempotency-key-reused"
    # Keys belong to their caller: another teacher's same key makes her own assessment.
    theirs = await api.post("/v1/assessments", json=body, headers={**api.as_(TEACHER_2), **key})
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != first.json()["id"]
    # The key syntax is the gateway's (pathwise_shared.idempotency): 400, as there.
    empty = await api.post(
        "/v1/assessments", json=body, headers={**api.as_(TEACHER), "Idempotency-Key": ""}
    )
    assert empty.status_code == 400
    assert empty.json()["type"] == "https://pathwise.dev/problems/invalid-idempotency-key"
