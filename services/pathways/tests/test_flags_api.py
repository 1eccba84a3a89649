"""Early-warning flags and goal progress through the API, with the real profiles and assessment
apps in process: the evidence is scored answers taken in assessment, the flags are read from the
class insights, stored, dismissed, and their changes are events in pathways' outbox.

Learners of the demo grade 3 class (teacher-01): learner-05 answers every item wrong
(``no_progress``), learner-03 answers right (no flag), learner-06 masters a skill and then answers
wrong again and again (``error_rate_high``: errors the model did not expect), learner-07 has a goal
due tomorrow (``behind_pace``, only once there is practice history).
"""

import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from pathwise_assessment.models import MasteryHistory
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_pathways.domain.insights import NO_PROGRESS_ANSWERS
from pathwise_pathways.models import outbox
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id
from pathwise_shared.ids import new_id

# The helpers that take checks live beside this module (tests are not a package: the folder
# goes on the path, and mypy, which reads them as files, does not follow the import).
sys.path.insert(0, str(Path(__file__).parent))
from test_classes_api import DISTRICT, GRADE3, as_learner, take_check, teacher  # type: ignore[import-not-found]

STALLED = demo_id("learner", "learner-05")
FINE = demo_id("learner", "learner-03")
SLIPPING = demo_id("learner", "learner-06")
RUSHED = demo_id("learner", "learner-07")
CHECKED = "3.NF.A.1"


async def _events(app: ServiceClient, kind: str, learner: uuid.UUID) -> list[dict[str, Any]]:
    db = Database(app.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == kind).order_by(outbox.c.id)
            )
            return [r[0] for r in rows if r[0]["data"]["learner_id"] == str(learner)]
    finally:
        await db.dispose()


async def _insights(live: ServiceClient) -> dict[str, list[dict[str, Any]]]:
    answer = await live.get(f"/v1/classes/{GRADE3}/insights", headers=live.as_(teacher()))
    assert answer.status_code == 200, answer.text
    return {row["learner_id"]: row["flags"] for row in answer.json()["learners"]}


def _flag(flags: dict[str, list[dict[str, Any]]], learner: uuid.UUID, code: str) -> dict[str, Any]:
    found = [f for f in flags[str(learner)] if f["code"] == code]
    assert found, (code, flags[str(learner)])
    return found[0]


def _codes(flags: dict[str, list[dict[str, Any]]], learner: uuid.UUID) -> list[str]:
    return [f["code"] for f in flags[str(learner)]]


STALLED_CHECKS = -(-NO_PROGRESS_ANSWERS // 3)  # checks of three items


@pytest.fixture(scope="module")
async def school(live_apps: Any) -> dict[uuid.UUID, dict[str, Any]]:
    plans = {}
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for learner in (STALLED, FINE, SLIPPING, RUSHED):
        body: dict[str, Any] = {"reason": "flags test"}
        if learner == RUSHED:
            body["goals"] = [{"skill_code": "3.NF.A.3", "target_date": tomorrow}]
        made = await live_apps.pathways.post(
            f"/v1/learners/{learner}/pathway", json=body, headers=live_apps.pathways.as_(teacher())
        )
        assert made.status_code == 201, made.text
        plans[learner] = made.json()
    # Checks of three items, wrong, until a stall is long enough for the flag.
    for _ in range(STALLED_CHECKS):
        await take_check(live_apps.assessment, STALLED, CHECKED, right=False)
    for _ in range(2):
        await take_check(live_apps.assessment, FINE, CHECKED, right=True)
    for right in (True, True, False, False, False, False, False):
        await take_check(live_apps.assessment, SLIPPING, CHECKED, right=right)
    await take_check(live_apps.assessment, RUSHED, CHECKED, right=True)
    return plans


async def test_no_progress_fires_with_its_numbers_and_an_event(
    live_apps: Any, school: dict[uuid.UUID, dict[str, Any]]
) -> None:
    live = live_apps.pathways
    flags = await _insights(live)
    stalled = _flag(flags, STALLED, "no_progress")
    assert stalled["numbers"]["skill_code"] == CHECKED
    assert stalled["numbers"]["answers"] == 3 * STALLED_CHECKS
    assert stalled["numbers"]["p_known_now"] < 0.5
    assert CHECKED in stalled["detail"] and not stalled["dismissed"]
    # A learner answering right has no flag at all.
    assert _codes(flags, FINE) == []
    events = await _events(live, "learner.flagged", STALLED)
    assert [e["data"]["code"] for e in events].count("no_progress") == 1
    event = next(e for e in events if e["data"]["code"] == "no_progress")
    assert event["subject"] == f"learner/{STALLED}/pathways"
    assert event["data"]["class_id"] == str(GRADE3)
    assert event["data"]["numbers"]["answers"] == 3 * STALLED_CHECKS
    # Reading again changes nothing: no second event for the same evidence.
    await _insights(live)
    again = await _events(live, "learner.flagged", STALLED)
    assert [e["data"]["code"] for e in again].count("no_progress") == 1
    stored = await live.get(f"/v1/learners/{STALLED}/flags", headers=live.as_(teacher()))
    assert stored.status_code == 200
    assert "no_progress" in [f["code"] for f in stored.json()["flags"]]


async def test_error_rate_high_when_answers_are_worse_than_the_model_expects(
    live_apps: Any, school: dict[uuid.UUID, dict[str, Any]]
) -> None:
    flags = await _insights(live_apps.pathways)
    slipping = _flag(flags, SLIPPING, "error_rate_high")
    numbers = slipping["numbers"]
    assert numbers["observed_wrong"] - numbers["expected_wrong"] > 2 * numbers["sd"]
    assert numbers["answers"] >= 10
    assert "error_rate_high" not in _codes(flags, FINE)


async def test_behind_pace_only_with_history_then_with_needed_and_observed_pace(
    live_apps: Any, school: dict[uuid.UUID, dict[str, Any]]
) -> None:
    live = live_apps.pathways
    # The goal is due tomorrow, but three answers today are no history: nobody is behind yet.
    assert "behind_pace" not in _codes(await _insights(live), RUSHED)
    # The same answers three weeks ago: three weeks of practice, no skill of the goal mastered.
    db = Database(live_apps.assessment.app.state.settings.database_url)
    try:
        async with db.session() as session, session.begin():
            await session.execute(
                update(MasteryHistory)
                .where(MasteryHistory.learner_id == RUSHED)
                .values(created_at=datetime.now(UTC) - timedelta(days=21))
            )
    finally:
        await db.dispose()
    behind = _flag(await _insights(live), RUSHED, "behind_pace")
    assert behind["numbers"]["goal_codes"] == "3.NF.A.3"
    assert behind["numbers"]["observed_per_week"] == 0
    assert behind["numbers"]["needed_per_week"] > 0
    assert behind["numbers"]["remaining_skills"] >= 1
    assert "behind_pace" not in _codes(await _insights(live), FINE)


async def test_a_teacher_dismisses_a_flag_with_a_note_until_it_clears(
    live_apps: Any, school: dict[uuid.UUID, dict[str, Any]]
) -> None:
    live = live_apps.pathways
    await _insights(live)
    url = f"/v1/learners/{STALLED}/flags/no_progress/dismiss"
    for body in ({}, {"note": ""}, {"note": "x", "colour": "red"}, {"note": 5}):
        refused = await live.post(url, json=body, headers=live.as_(teacher()))
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    student = await live.post(url, json={"note": "mine"}, headers=live.as_(as_learner(STALLED)))
    assert student.status_code == 403
    unknown = await live.post(
        f"/v1/learners/{FINE}/flags/no_progress/dismiss",
        json={"note": "nothing to dismiss"},
        headers=live.as_(teacher()),
    )
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("/flag-not-found")
    done = await live.post(url, json={"note": "talked with her"}, headers=live.as_(teacher()))
    assert done.status_code == 200, done.text
    assert done.json()["dismissed"] and done.json()["dismissal_note"] == "talked with her"
    # Still dismissed on the next reads while the evidence is the same.
    assert _flag(await _insights(live), STALLED, "no_progress")["dismissed"]
    # The learner gets it: the stall ends, the flag clears (learner.unflagged) and is gone.
    for _ in range(5):
        await take_check(live_apps.assessment, STALLED, CHECKED, right=True)
    assert "no_progress" not in _codes(await _insights(live), STALLED)
    cleared = await _events(live, "learner.unflagged", STALLED)
    assert "no_progress" in [e["data"]["code"] for e in cleared]
    listed = await live.get(f"/v1/learners/{STALLED}/flags", headers=live.as_(teacher()))
    assert "no_progress" not in [f["code"] for f in listed.json()["flags"]]


def _system() -> Principal:
    return make_principal(DISTRICT, kind="system", subject="system:gateway-events")


def _mastered(learner: uuid.UUID, code: str) -> dict[str, Any]:
    return {
        "id": str(new_id()),
        "type": "mastery.changed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "district_id": str(DISTRICT),
        "subject": f"learner/{learner}",
        "data": {
            "learner_id": str(learner),
            "skill_code": code,
            "p_known": 0.97,
            "mastered": True,
            "previous_mastered": False,
            "level": "mastered",
        },
        "version": 1,
    }


async def test_goal_progress_comes_from_mastery_of_the_goals_skills(
    live_apps: Any, school: dict[uuid.UUID, dict[str, Any]]
) -> None:
    live = live_apps.pathways
    url = f"/v1/learners/{RUSHED}/pathway"
    before = (await live.get(url, headers=live.as_(teacher()))).json()
    (goal,) = before["goal_progress"]
    needed = [s for s in before["steps"] if "3.NF.A.3" in s["goal_codes"]]
    assert goal["skill_code"] == "3.NF.A.3" and goal["needed"] == len(needed) > 1
    done = sum(1 for s in needed if s["status"] in {"mastered", "placed"})
    assert goal["mastered"] + goal["placed"] == done
    assert goal["progress"] == pytest.approx(done / len(needed), abs=1e-4)
    first = next(s for s in needed if s["status"] == "ready")
    applied = await live.post(
        "/internal/events", json=_mastered(RUSHED, first["skill_code"]), headers=live.as_(_system())
    )
    assert applied.status_code == 200, applied.text
    after = (await live.get(url, headers=live.as_(teacher()))).json()
    (moved,) = after["goal_progress"]
    assert moved["mastered"] == goal["mastered"] + 1
    assert moved["progress"] == pytest.approx((done + 1) / moved["needed"], abs=1e-4)


async def test_the_profiles_goal_progress_follows_mastery(
    live_apps: Any, school: dict[uuid.UUID, dict[str, Any]]
) -> None:
    """learner-03's pathway was planned toward the goals of their profile: each profile goal's
    ``progress`` is pushed from the pathway (its skills' needed and mastered steps)."""
    live, profiles = live_apps.pathways, live_apps.profiles
    url = f"/v1/learners/{FINE}/pathway"
    plan = (await live.get(url, headers=live.as_(teacher()))).json()
    by_code = {g["skill_code"]: g for g in plan["goal_progress"]}

    async def profile_goals() -> list[dict[str, Any]]:
        got = await profiles.get(f"/v1/learners/{FINE}/goals", headers=profiles.as_(teacher()))
        assert got.status_code == 200, got.text
        body = got.json()
        items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
        return [g for g in items if set(g["skill_codes"]) & set(by_code)]

    def expected(goal: dict[str, Any], progress: dict[str, dict[str, Any]]) -> float:
        mine = [progress[c] for c in goal["skill_codes"] if c in progress]
        needed = sum(int(g["needed"]) for g in mine)
        return sum(int(g["mastered"]) + int(g["placed"]) for g in mine) / needed

    goals = await profile_goals()
    assert goals, "the demo learner plans toward profile goals"
    for goal in goals:
        assert goal["progress"] == pytest.approx(expected(goal, by_code), abs=1e-4)
    step = next(
        s for s in plan["steps"] if s["status"] == "ready" and set(s["goal_codes"]) & set(by_code)
    )
    applied = await live.post(
        "/internal/events", json=_mastered(FINE, step["skill_code"]), headers=live.as_(_system())
    )
    assert applied.json() == {"status": "advanced"}, applied.text
    moved = (await live.get(url, headers=live.as_(teacher()))).json()
    after = {g["skill_code"]: g for g in moved["goal_progress"]}
    changed = await profile_goals()
    assert any(g["progress"] > old["progress"] for g, old in zip(changed, goals, strict=True))
    for goal in changed:
        assert goal["progress"] == pytest.approx(expected(goal, after), abs=1e-4)


GAP = demo_id("learner", "learner-08")
GAP_PREREQUISITE = "3.NF.A.1"  # a direct prerequisite of 3.NF.A.3 in the CCSS graph
GAP_SKILL = "3.NF.A.3"


async def test_prerequisite_gap_names_the_weak_prerequisite_of_the_current_step(
    live_apps: Any, school: dict[uuid.UUID, dict[str, Any]]
) -> None:
    """A teacher skipped the steps before 3.NF.A.3, among them 3.NF.A.1, which the learner
    answered wrong: 3.NF.A.3 is practised on a prerequisite the model believes is not known."""
    live = live_apps.pathways
    headers = live.as_(teacher())
    for _ in range(2):
        await take_check(live_apps.assessment, GAP, GAP_PREREQUISITE, right=False)
    made = await live.post(
        f"/v1/learners/{GAP}/pathway",
        json={"reason": "gap test", "goals": [{"skill_code": GAP_SKILL}]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    # No gap while the prerequisite is still a step of its own, ahead of the skill.
    assert "prerequisite_gap" not in _codes(await _insights(live), GAP)
    for step in made.json()["steps"]:
        if step["skill_code"] != GAP_SKILL and step["status"] in {"ready", "locked"}:
            skipped = await live.post(
                f"/v1/learners/{GAP}/pathway/overrides",
                json={"action": "skip", "step_id": step["id"], "reason": "gap test"},
                headers=headers,
            )
            assert skipped.status_code == 200, skipped.text
    await take_check(live_apps.assessment, GAP, GAP_SKILL, right=False)
    flags = await _insights(live)
    gap = _flag(flags, GAP, "prerequisite_gap")
    assert gap["numbers"]["skill_code"] == GAP_SKILL
    assert gap["numbers"]["prerequisite_code"] == GAP_PREREQUISITE
    assert gap["numbers"]["p_known_prerequisite"] < 0.5
    assert GAP_PREREQUISITE in gap["detail"]
    # The stall on the skill is told as the gap, not as a second flag.
    assert "no_progress" not in _codes(flags, GAP)
    # Learners whose current skills stand on known prerequisites have none.
    assert "prerequisite_gap" not in _codes(flags, FINE)
    events = await _events(live, "learner.flagged", GAP)
    assert [e["data"]["code"] for e in events].count("prerequisite_gap") == 1
