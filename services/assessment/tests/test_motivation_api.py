"""Motivation through the API: points, a comeback (a skill mastered after a flag, the flag
delivered as the gateway's event hub does) and first-mastery badge earned by answering (with
``badge.awarded`` in the outbox of the same answers), the streak, the learner hiding it, who may
read it."""

import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pathwise_assessment.models import PracticeDay, outbox
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.db import Database
from pathwise_shared.events import new_event
from pathwise_shared.timeutil import utcnow

# The helpers that take checks live beside this module (tests are not a package: the folder
# goes on the path, and mypy, which reads them as files, does not follow the import).
sys.path.insert(0, str(Path(__file__).parent))
from test_assessment_mastery_api import make_check, make_items, take  # type: ignore[import-not-found]

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
GUARDIAN = make_principal(DEMO_DISTRICT, roles=["guardian"])
HUB = make_principal(DEMO_DISTRICT, kind="system", subject="system:event-hub")


def student(learner_id: uuid.UUID) -> Any:
    return make_principal(DEMO_DISTRICT, roles=["student"], user_id=learner_id)


async def badge_events(api: ServiceClient, learner_id: uuid.UUID) -> list[dict[str, Any]]:
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope)
                .where(outbox.c.event_type == "badge.awarded")
                .order_by(outbox.c.id)
            )
            return [r[0]["data"] for r in rows if r[0]["data"]["learner_id"] == str(learner_id)]
    finally:
        await db.dispose()


async def deliver_flag(
    api: ServiceClient,
    learner_id: uuid.UUID,
    code: str,
    *,
    kind: str = "learner.flagged",
    flag_code: str = "no_progress",
    flag_id: uuid.UUID | None = None,
) -> tuple[dict[str, Any], str]:
    """A pathways flag event as the gateway's hub posts it; the envelope and the answer."""
    envelope = new_event(
        kind,
        district_id=DEMO_DISTRICT,
        subject=f"learner/{learner_id}/pathway",
        data={
            "learner_id": str(learner_id),
            "flag_id": str(flag_id or uuid.uuid4()),
            "code": flag_code,
            "reason": flag_code,
            "class_id": None,
            "numbers": {"skill_code": code, "answers": 8},
        },
    ).model_dump(mode="json")
    got = await api.post("/internal/events", json=envelope, headers=api.as_(HUB))
    assert got.status_code == 200, got.text
    return envelope, got.json()["status"]


async def test_a_comeback_after_a_flag_earns_badges_points_and_events(api: ServiceClient) -> None:
    code, learner_id = "5.NF.A.1", uuid.uuid4()
    items = await make_items(api, code, 12)
    # Wrong answers, a flag for extra help on the skill, then right answers until mastered.
    await take(api, await make_check(api, code, items[:3]), learner_id, "a")
    envelope, status = await deliver_flag(api, learner_id, code)
    assert status == "recorded"
    # A redelivery of the same event changes nothing.
    again = await api.post("/internal/events", json=envelope, headers=api.as_(HUB))
    assert again.json() == {"status": "duplicate"}
    await take(api, await make_check(api, code, items[3:]), learner_id, "b")
    got = await api.get(f"/v1/learners/{learner_id}/motivation", headers=api.as_(TEACHER))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["hidden"] is False
    assert body["answered_items"] == 12 and body["skills_mastered"] == 1
    assert body["points"] == 12 + 10 and body["mastery_points"] == 10
    assert body["streak_days"] == 1 and body["longest_streak_days"] == 1
    assert body["last_practice_day"] == utcnow().date().isoformat()
    earned = {(b["code"], b["skill_code"]) for b in body["badges"]}
    assert earned == {("first_mastery", None), ("comeback", code)}
    comeback = next(b for b in body["badges"] if b["code"] == "comeback")
    assert "flag" in comeback["title"].lower() and "struggl" not in comeback["title"].lower()
    events = await badge_events(api, learner_id)
    assert sorted((e["badge"], e["skill_code"]) for e in events) == [
        ("comeback", code), ("first_mastery", None)
    ]  # fmt: skip
    # Thin: which badge and for whom, nothing about points.
    assert set(events[0]) == {"learner_id", "badge_id", "badge", "skill_code"}
    # Answering more does not award the same badges again.
    await take(api, await make_check(api, code, items[3:5]), learner_id, "b")
    assert len(await badge_events(api, learner_id)) == 2


async def test_three_wrong_in_a_row_without_a_flag_is_no_comeback(api: ServiceClient) -> None:
    code, learner_id = "5.NF.A.2", uuid.uuid4()
    items = await make_items(api, code, 12)
    await take(api, await make_check(api, code, items[:3]), learner_id, "a")
    # A flag on another skill, and one that is about the plan, not the learner's work.
    await deliver_flag(api, learner_id, "4.NF.A.1")
    await deliver_flag(api, learner_id, code, flag_code="no_pathway")
    await take(api, await make_check(api, code, items[3:]), learner_id, "b")
    body = (await api.get(f"/v1/learners/{learner_id}/motivation", headers=api.as_(TEACHER))).json()
    assert body["skills_mastered"] == 1
    assert [b["code"] for b in body["badges"]] == ["first_mastery"]


async def test_a_flag_after_the_mastery_is_no_comeback(api: ServiceClient) -> None:
    code, learner_id = "5.NF.A.1", uuid.uuid4()
    items = await make_items(api, code, 9)
    await take(api, await make_check(api, code, items), learner_id, "b")
    _, status = await deliver_flag(api, learner_id, code)
    assert status == "recorded"
    body = (await api.get(f"/v1/learners/{learner_id}/motivation", headers=api.as_(TEACHER))).json()
    assert [b["code"] for b in body["badges"]] == ["first_mastery"]


async def test_a_flag_delivered_after_the_mastery_it_preceded_awards_on_arrival(
    api: ServiceClient,
) -> None:
    code, learner_id = "5.NF.A.1", uuid.uuid4()
    items = await make_items(api, code, 12)
    await take(api, await make_check(api, code, items[:3]), learner_id, "a")
    # Raised now (the event's time), delivered only after the learner mastered the skill.
    late = new_event(
        "learner.flagged",
        district_id=DEMO_DISTRICT,
        subject=f"learner/{learner_id}/pathway",
        data={
            "learner_id": str(learner_id),
            "flag_id": str(uuid.uuid4()),
            "code": "error_rate_high",
            "numbers": {"skill_practised": code},
        },
    ).model_dump(mode="json")
    await take(api, await make_check(api, code, items[3:]), learner_id, "b")
    assert [e["badge"] for e in await badge_events(api, learner_id)] == ["first_mastery"]
    got = await api.post("/internal/events", json=late, headers=api.as_(HUB))
    assert got.json() == {"status": "recorded"}
    events = await badge_events(api, learner_id)
    assert sorted(e["badge"] for e in events) == ["comeback", "first_mastery"]


def flagged_event(learner_id: uuid.UUID) -> dict[str, Any]:
    """A minimal ``learner.flagged`` envelope of the demo district, as JSON."""
    return new_event(
        "learner.flagged",
        district_id=DEMO_DISTRICT,
        subject=f"learner/{learner_id}/pathway",
        data={"learner_id": str(learner_id), "flag_id": str(uuid.uuid4()), "code": "no_progress"},
    ).model_dump(mode="json")


async def test_flag_events_only_from_the_system_and_well_formed(api: ServiceClient) -> None:
    learner_id = uuid.uuid4()
    envelope = flagged_event(learner_id)
    refused = await api.post("/internal/events", json=envelope, headers=api.as_(TEACHER))
    assert refused.status_code == 403
    other = make_principal(uuid.uuid4(), kind="system", subject="system:event-hub")
    assert (
        await api.post("/internal/events", json=envelope, headers=api.as_(other))
    ).status_code == 403
    broken = {**envelope, "data": {"learner_id": "nope", "code": "no_progress"}}
    bad = await api.post("/internal/events", json=broken, headers=api.as_(HUB))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    other_type = {**envelope, "id": str(uuid.uuid4()), "type": "goal.completed"}
    ignored = await api.post("/internal/events", json=other_type, headers=api.as_(HUB))
    assert ignored.json() == {"status": "ignored"}


async def test_a_batch_of_flag_events_takes_each_as_if_it_came_alone(api: ServiceClient) -> None:
    """``POST /internal/events/batch``, as the hub sends it: each event's outcome is the single
    route's, and a malformed one costs only itself."""
    learner_id = uuid.uuid4()
    flagged = flagged_event(learner_id)
    broken = {**flagged, "id": str(uuid.uuid4()), "data": {"learner_id": "nope", "code": "x"}}
    other_type = {**flagged, "id": str(uuid.uuid4()), "type": "goal.completed"}
    batch = {"events": [flagged, broken, flagged, other_type]}
    got = await api.post("/internal/events/batch", json=batch, headers=api.as_(HUB))
    assert got.status_code == 200, got.text
    results = got.json()["results"]
    assert [(r["status"], r["outcome"]) for r in results] == [
        (200, "recorded"), (422, None), (200, "duplicate"), (200, "ignored"),
    ]  # fmt: skip
    refused = await api.post("/internal/events/batch", json=batch, headers=api.as_(TEACHER))
    assert refused.status_code == 403


async def test_five_practice_days_with_a_forgiven_gap_earn_the_streak_badge(
    api: ServiceClient,
) -> None:
    code, learner_id = "5.NF.A.1", uuid.uuid4()
    today = utcnow().date()
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session, session.begin():
            # Four earlier practice days, one of them after a missed day.
            for back in (6, 4, 3, 2):
                session.add(
                    PracticeDay(
                        district_id=DEMO_DISTRICT,
                        learner_id=learner_id,
                        day=today - timedelta(days=back),
                        answers=2,
                    )
                )
    finally:
        await db.dispose()
    items = await make_items(api, code, 1)
    await take(api, await make_check(api, code, items), learner_id, "a")  # a wrong answer counts
    body = (await api.get(f"/v1/learners/{learner_id}/motivation", headers=api.as_(TEACHER))).json()
    # Days -6, -4, -3, -2 and today (yesterday missed): five practice days in one streak.
    assert body["streak_days"] == 5 and body["answered_items"] == 9
    assert [b["code"] for b in body["badges"]] == ["streak_5"]
    assert [e["badge"] for e in await badge_events(api, learner_id)] == ["streak_5"]


async def test_the_learner_hides_it_from_everyone_but_themself(api: ServiceClient) -> None:
    code, learner_id = "5.NF.A.1", uuid.uuid4()
    items = await make_items(api, code, 2)
    await take(api, await make_check(api, code, items), learner_id, "b")
    path = f"/v1/learners/{learner_id}/motivation"
    # Only the learner decides: a teacher (or another student) may not.
    refused = await api.put(f"{path}/preferences", json={"hidden": True}, headers=api.as_(TEACHER))
    assert refused.status_code == 403
    other = student(uuid.uuid4())
    assert (
        await api.put(f"{path}/preferences", json={"hidden": True}, headers=api.as_(other))
    ).status_code == 403
    bad = await api.put(
        f"{path}/preferences", json={"hidden": "yes"}, headers=api.as_(student(learner_id))
    )
    assert bad.status_code == 422
    hid = await api.put(
        f"{path}/preferences", json={"hidden": True}, headers=api.as_(student(learner_id))
    )
    assert hid.status_code == 200 and hid.json() == {"learner_id": str(learner_id), "hidden": True}
    for who in (TEACHER, GUARDIAN):
        seen = (await api.get(path, headers=api.as_(who))).json()
        assert seen["hidden"] is True
        assert {k for k, v in seen.items() if v is not None} == {"learner_id", "hidden"}
    own = (await api.get(path, headers=api.as_(student(learner_id)))).json()
    assert own["hidden"] is True and own["answered_items"] == 2
    # Another student does not learn the learner exists.
    assert (await api.get(path, headers=api.as_(other))).status_code == 404
    shown = await api.put(
        f"{path}/preferences", json={"hidden": False}, headers=api.as_(student(learner_id))
    )
    assert shown.json()["hidden"] is False
    assert (await api.get(path, headers=api.as_(TEACHER))).json()["answered_items"] == 2
