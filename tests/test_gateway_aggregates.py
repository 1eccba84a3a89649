"""Aggregated views through the real gateway and services: a learner's overview (profile,
pathway, mastery summary) and a class dashboard (roster, mastery per skill, flags, groups).
Degraded answers when a service is down are in ``test_gateway_degraded.py`` (it owns its stack)."""

from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")
CLASS = demo_id("class", "grade3-math")
# Takes a skill check below, so the class has mastery evidence (not learner-01: other modules
# read learner-01's records and should not see this test's activity).
TESTED = demo_id("learner", "learner-02")
SKILL = "3.NF.A.1"


@pytest.mark.parametrize("username", ["learner-01", "guardian-01", "teacher-01"])
def test_learner_overview_is_the_parts_in_one_call(gw: httpx.Client, username: str) -> None:
    headers = dev_login(gw, username)
    answer = gw.get(f"/v1/learners/{LEARNER}/overview", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["learner_id"] == str(LEARNER)
    assert body["degraded"] == [] and body["withheld"] == []
    # Each part is what the caller would get from the owning operation itself.
    profile = gw.get(f"/v1/learners/{LEARNER}/profile", headers=headers)
    assert body["profile"] == profile.json()
    pathway = gw.get(f"/v1/learners/{LEARNER}/pathway", headers=headers)
    assert body["pathway"] == (pathway.json() if pathway.status_code == 200 else None)
    mastery = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=headers).json()["skills"]
    summary = body["mastery"]
    assert summary["skills_tracked"] == len(mastery)
    assert summary["skills_mastered"] == sum(1 for s in mastery if s["mastered"])
    assert sorted(s["skill_code"] for s in summary["skills"]) == sorted(
        s["skill_code"] for s in mastery
    )


def _answer(item: dict[str, Any]) -> dict[str, Any]:
    """Some well-formed answer of the item's type (right or wrong: both are evidence)."""
    spec = item["spec"]
    choices = [c["id"] for c in spec.get("choices", [])]
    answers: dict[str, dict[str, Any]] = {
        "single_choice": {"choice": choices[0] if choices else "a"},
        "multiple_select": {"choices": choices[:1]},
        "numeric": {"value": "1/4"},
        "short_text": {"text": "denominator"},
        "ordering": {"order": [e["id"] for e in spec.get("entries", [])]},
    }
    return answers.get(item["type"], {"text": "I think it is one quarter."})


@pytest.fixture(scope="module")
def skill_check_taken(gw: httpx.Client) -> None:
    """learner-02 takes the demo skill check of 3.NF.A.1 through the gateway."""
    student = dev_login(gw, "learner-02")
    check = demo_id("assessment", f"skill-check/{SKILL}")
    started = gw.post(
        f"/v1/assessments/{check}/attempts", json={"learner_id": str(TESTED)}, headers=student
    )
    assert started.status_code == 201, started.text
    attempt = started.json()
    for item in attempt["items"]:
        answered = gw.put(
            f"/v1/attempts/{attempt['id']}/responses/{item['item_id']}",
            json={"answer": _answer(item)},
            headers=student,
        )
        assert answered.status_code in (200, 201), answered.text
    finished = gw.post(f"/v1/attempts/{attempt['id']}/finish", headers=student)
    assert finished.status_code == 200, finished.text


@pytest.mark.usefixtures("skill_check_taken")
def test_class_dashboard_is_roster_mastery_and_flags(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-01")
    answer = gw.get(f"/v1/classes/{CLASS}/dashboard", headers=teacher)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["degraded"] == [] and body["withheld"] == []
    assert body["school_id"] == str(demo_id("school", "riverside-elementary"))
    expected = {str(demo_id("learner", f"learner-{n:02d}")) for n in range(1, 11)}
    assert {row["id"] for row in body["learners"]} == expected
    assert all(row["display_name"] for row in body["learners"])

    insights = gw.get(f"/v1/classes/{CLASS}/insights", headers=teacher).json()
    flags = {row["learner_id"]: row["flags"] for row in insights["learners"]}
    for row in body["learners"]:
        assert row["flags"] == flags.get(row["id"], [])

    # Mastery per skill agrees with each learner's own mastery.
    first = gw.get(f"/v1/learners/{TESTED}/mastery", headers=teacher).json()["skills"]
    assert SKILL in {s["skill_code"] for s in first}
    assert SKILL in {s["skill_code"] for s in body["skills"]}
    mine = next(row for row in body["learners"] if row["id"] == str(TESTED))
    assert mine["mastery"] == {s["skill_code"]: pytest.approx(s["p_known"]) for s in first}
    for stat in body["skills"]:
        holders = [r for r in body["learners"] if stat["skill_code"] in r["mastery"]]
        assert stat["learners_assessed"] == len(holders)
        assert 0 <= stat["learners_mastered"] <= stat["learners_assessed"]


def test_class_dashboard_shows_the_groups_a_teacher_made(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-01")
    made = gw.post(
        f"/v1/classes/{CLASS}/groups",
        json={"strategy": "next_skill", "min_size": 1, "max_size": 10},
        headers=teacher,
    )
    assert made.status_code == 201, made.text
    grouping = made.json()
    current = gw.get(f"/v1/classes/{CLASS}/groups", headers=teacher)
    assert current.status_code == 200, current.text
    assert current.json()["id"] == grouping["id"]

    for username in ("teacher-01", "admin-riverside-elementary"):
        answer = gw.get(f"/v1/classes/{CLASS}/dashboard", headers=dev_login(gw, username))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["degraded"] == [] and body["withheld"] == []
        groups = body["groups"]
        assert groups["id"] == grouping["id"] and groups["strategy"] == "next_skill"
        assert groups["created_by"] == grouping["created_by"]
        assert groups["groups"] == current.json()["groups"]
        # Every learner on the roster is in exactly one group.
        members = [lid for g in groups["groups"] for lid in g["learner_ids"]]
        assert sorted(members) == sorted(row["id"] for row in body["learners"])


@pytest.mark.parametrize(
    "path", ["/v1/learners/not-a-uuid/overview", "/v1/classes/12345/dashboard"]
)
def test_aggregates_bad_input(gw: httpx.Client, path: str) -> None:
    """A malformed id names no object: 404, as on every forwarded route."""
    answer = gw.get(path, headers=dev_login(gw, "admin-district"))
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
