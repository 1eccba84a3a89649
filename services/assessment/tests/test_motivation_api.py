"""Motivation through the API: points, a comeback and first-mastery badge earned by answering
(with ``badge.awarded`` in the outbox of the same answers), the streak, the learner hiding it,
who may read it."""

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
from pathwise_shared.timeutil import utcnow

# The helpers that take checks live beside this module (tests are not a package: the folder
# goes on the path, and mypy, which reads them as files, does not follow the import).
sys.path.insert(0, str(Path(__file__).parent))
from test_assessment_mastery_api import make_check, make_items, take  # type: ignore[import-not-found]

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
GUARDIAN = make_principal(DEMO_DISTRICT, roles=["guardian"])


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


async def test_a_comeback_earns_badges_points_and_events(api: ServiceClient) -> None:
    code, learner_id = "5.NF.A.1", uuid.uuid4()
    items = await make_items(api, code, 12)
    # Three wrong answers in a row (a struggle), then right answers until mastered.
    await take(api, await make_check(api, code, items[:3]), learner_id, "a")
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
    events = await badge_events(api, learner_id)
    assert sorted((e["badge"], e["skill_code"]) for e in events) == [
        ("comeback", code), ("first_mastery", None)
    ]  # fmt: skip
    # Thin: which badge and for whom, nothing about points.
    assert set(events[0]) == {"learner_id", "badge_id", "badge", "skill_code"}
    # Answering more does not award the same badges again.
    await take(api, await make_check(api, code, items[3:5]), learner_id, "b")
    assert len(await badge_events(api, learner_id)) == 2


async def test_mastery_without_a_struggle_is_no_comeback(api: ServiceClient) -> None:
    code, learner_id = "5.NF.A.2", uuid.uuid4()
    items = await make_items(api, code, 9)
    # Wrong, right, wrong, wrong, then right: never three wrong in a row.
    for chunk, choice in ((items[:1], "a"), (items[1:2], "b"), (items[2:4], "a"), (items[4:], "b")):
        await take(api, await make_check(api, code, chunk), learner_id, choice)
    body = (await api.get(f"/v1/learners/{learner_id}/motivation", headers=api.as_(TEACHER))).json()
    assert body["skills_mastered"] == 1
    assert [b["code"] for b in body["badges"]] == ["first_mastery"]


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
