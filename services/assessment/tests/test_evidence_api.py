"""Evidence scored outside an attempt (pathways' step evidence) through assessment's internal
endpoint: system-only, it moves mastery as a rubric-scored response does (history, the
``mastery.changed`` events, the first-mastery badge), a retry with the same id changes nothing,
another score under the same id is a 409."""

import uuid
from typing import Any

from sqlalchemy import select

from pathwise_assessment.models import MasteryHistory, outbox
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.db import Database

SYSTEM = make_principal(DEMO_DISTRICT, kind="system", subject="system:pathways-evidence")
TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
CODE = "4.NF.A.1"


def body(evidence_id: uuid.UUID, fraction: float, code: str = CODE) -> dict[str, Any]:
    return {
        "evidence_id": str(evidence_id),
        "skill_code": code,
        "fraction": fraction,
        "scored_by": "teacher-x",
    }


async def send(api: ServiceClient, learner: uuid.UUID, payload: dict[str, Any]) -> Any:
    return await api.post(
        f"/internal/learners/{learner}/evidence", json=payload, headers=api.as_(SYSTEM)
    )


async def mastery(api: ServiceClient, learner: uuid.UUID) -> dict[str, Any]:
    got = await api.get(f"/v1/learners/{learner}/mastery", headers=api.as_(TEACHER))
    assert got.status_code == 200, got.text
    return {s["skill_code"]: s for s in got.json()["skills"]}


async def outbox_of(api: ServiceClient, kind: str, learner: uuid.UUID) -> list[dict[str, Any]]:
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == kind).order_by(outbox.c.id)
            )
            return [r[0]["data"] for r in rows if r[0]["data"]["learner_id"] == str(learner)]
    finally:
        await db.dispose()


async def history(api: ServiceClient, learner: uuid.UUID) -> list[MasteryHistory]:
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(MasteryHistory)
                .where(MasteryHistory.learner_id == learner)
                .order_by(MasteryHistory.id)
            )
            return list(rows.scalars())
    finally:
        await db.dispose()


async def test_scored_evidence_moves_mastery_once_per_id(api: ServiceClient) -> None:
    learner, first = uuid.uuid4(), uuid.uuid4()
    made = await send(api, learner, body(first, 0.9))
    assert made.status_code == 200, made.text
    assert made.json()["recorded"] is True and made.json()["correct"] is True
    after_one = (await mastery(api, learner))[CODE]
    assert after_one["evidence_count"] == 1 and after_one["p_known"] > 0.2

    again = await send(api, learner, body(first, 0.9))
    assert again.status_code == 200 and again.json()["recorded"] is False
    assert (await mastery(api, learner))[CODE]["p_known"] == after_one["p_known"]
    rows = await history(api, learner)
    assert [(r.reason, r.response_id, r.correct) for r in rows] == [("evidence", first, True)]

    other = await send(api, learner, body(first, 0.5))
    assert other.status_code == 409 and other.json()["type"].endswith("/evidence-conflict")


async def test_below_the_rubric_bar_is_a_wrong_answer(api: ServiceClient) -> None:
    learner = uuid.uuid4()
    made = await send(api, learner, body(uuid.uuid4(), 0.75))  # 80 % is the bar, as for items
    assert made.status_code == 200 and made.json()["correct"] is False
    state = (await mastery(api, learner))[CODE]
    assert state["p_known"] < 0.2 and state["evidence_count"] == 1


async def test_evidence_can_master_with_events_and_the_badge(api: ServiceClient) -> None:
    learner = uuid.uuid4()
    for _ in range(8):
        got = await send(api, learner, body(uuid.uuid4(), 1.0))
        assert got.status_code == 200, got.text
    assert (await mastery(api, learner))[CODE]["mastered"] is True
    changes = await outbox_of(api, "mastery.changed", learner)
    assert changes and all(c["reason"] == "evidence" for c in changes)
    assert changes[-1]["mastered"] is True and changes[-1]["evidence"]
    badges = await outbox_of(api, "badge.awarded", learner)
    assert [b["badge"] for b in badges] == ["first_mastery"]


async def test_only_the_system_records_evidence(api: ServiceClient) -> None:
    learner = uuid.uuid4()
    for who in (TEACHER, make_principal(DEMO_DISTRICT, roles=["district_admin"])):
        got = await api.post(
            f"/internal/learners/{learner}/evidence",
            json=body(uuid.uuid4(), 1.0),
            headers=api.as_(who),
        )
        assert got.status_code == 403, got.text
    assert CODE not in await mastery(api, learner)


async def test_bad_evidence_is_a_422(api: ServiceClient) -> None:
    learner = uuid.uuid4()
    for bad in (body(uuid.uuid4(), 1.5), body(uuid.uuid4(), 0.5, code="not a code")):
        got = await send(api, learner, bad)
        assert got.status_code == 422, got.text
