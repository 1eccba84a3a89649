"""The learning loop end to end, through the real gateway in front of the real services.

A demo learner takes the skill check of one of their pathway's steps until assessment says the
skill is mastered; assessment's outbox relay sends ``mastery.changed`` to the gateway, the gateway
fans it out to pathways, and the step turns mastered with the next steps opened. Also from
outside: the demo seed gave every demo learner a pathway toward a goal of their own, and the
class tools keep to the teacher's own class.
"""

import time
import uuid
from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import dev_login, gateway_token, take_check
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

# learner-06 (grade 3 math, teacher-01) has no accommodations and is no other test's "own" learner.
LEARNER = demo_id("learner", "learner-06")
SKILL = "3.NF.A.1"
GRADE3 = demo_id("class", "grade3-math")
DEADLINE_SECONDS = 20.0


def mastered(gw: httpx.Client, headers: dict[str, str], code: str) -> bool:
    answer_ = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=headers)
    assert answer_.status_code == 200, answer_.text
    return any(s["skill_code"] == code and s["mastered"] for s in answer_.json()["skills"])


def step_of(pathway: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in pathway["steps"] if s["skill_code"] == code)


def test_mastery_in_assessment_advances_the_pathway(gw: httpx.Client) -> None:
    learner = dev_login(gw, "learner-06")
    teacher = dev_login(gw, "teacher-01")
    before = gw.get(f"/v1/learners/{LEARNER}/pathway", headers=learner)
    assert before.status_code == 200, before.text
    first = before.json()
    assert step_of(first, SKILL)["status"] in {"ready", "locked"}
    open_before = {s["skill_code"] for s in first["steps"] if s["status"] in {"ready", "locked"}}

    for _ in range(5):  # three items, one easy (not informative): the evidence floor takes two
        if mastered(gw, learner, SKILL):
            break
        take_check(gw, SKILL, LEARNER, learner)
    assert mastered(gw, learner, SKILL), "five perfect skill checks did not reach mastery"

    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        pathway = gw.get(f"/v1/learners/{LEARNER}/pathway", headers=teacher).json()
        if step_of(pathway, SKILL)["status"] == "mastered" or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    step = step_of(pathway, SKILL)
    assert step["status"] == "mastered", f"not advanced within {DEADLINE_SECONDS} s: {step}"
    assert step["mastered_at"] and pathway["version"] > first["version"]
    # Replanned: a step is ready exactly when none of its prerequisites is still an open step,
    # and the steps that were there only to lead up to the mastered skill are gone.
    open_codes = {s["skill_code"] for s in pathway["steps"] if s["status"] in {"ready", "locked"}}
    for open_step in pathway["steps"]:
        if open_step["status"] not in {"ready", "locked"}:
            continue
        skill = gw.get(f"/v1/skills/{open_step['skill_code']}", headers=teacher).json()
        blocked = set(skill["prerequisites"] or []) & open_codes
        assert (open_step["status"] == "locked") == bool(blocked), (open_step, blocked)
    leading_up = set(gw.get(f"/v1/skills/{SKILL}", headers=teacher).json()["prerequisites"])
    assert leading_up & open_before, "the plan had prerequisites of the skill before"
    assert not leading_up & open_codes - needed_elsewhere(gw, teacher, pathway, leading_up)
    versions = gw.get(f"/v1/learners/{LEARNER}/pathway/versions", headers=teacher).json()
    advanced = [v for v in versions["items"] if v["change"] == "advanced"]
    assert advanced and advanced[0]["actor"] == "system:pathways-advance"
    assert SKILL in advanced[0]["reason"]


def needed_elsewhere(
    gw: httpx.Client, headers: dict[str, str], pathway: dict[str, Any], codes: set[str]
) -> set[str]:
    """Those of ``codes`` that some other open step of the pathway still depends on directly."""
    found: set[str] = set()
    for step in pathway["steps"]:
        if step["status"] in {"ready", "locked"}:
            skill = gw.get(f"/v1/skills/{step['skill_code']}", headers=headers).json()
            found |= set(skill["prerequisites"] or []) & codes
    return found


def test_every_demo_learner_has_a_pathway_toward_their_own_goal(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    learners: list[str] = []
    cursor: str | None = None
    for _ in range(20):  # bounded: the demo district has a few dozen students
        params: dict[str, str | int] = {"role": "student", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = gw.get("/v1/users", params=params, headers=admin)
        assert page.status_code == 200, page.text
        # Other test modules add users to the shared stack; the demo's own are learner-NN.
        learners += [u["id"] for u in page.json()["items"] if u["username"].startswith("learner-")]
        cursor = page.json().get("next_cursor")
        if not cursor:
            break
    assert len(learners) == 33
    for learner in learners:
        pathway = gw.get(f"/v1/learners/{learner}/pathway", headers=admin)
        assert pathway.status_code == 200, f"{learner}: {pathway.text}"
        goals = gw.get(f"/v1/learners/{learner}/goals", headers=admin).json()
        own = {code for g in goals for code in g["skill_codes"]}
        planned = {g["skill_code"] for g in pathway.json()["goals"]}
        assert planned and planned <= own, (learner, planned, own)
        assert pathway.json()["steps"]


def _other_district_teacher() -> dict[str, str]:
    uid = uuid.uuid4()
    principal = Principal(subject=str(uid), kind="user", district_id=uuid.uuid4(),
                          roles=frozenset({"teacher"}), user_id=uid)  # fmt: skip
    return gateway_token(principal)


def test_class_tools_only_for_the_class_teacher(gw: httpx.Client) -> None:
    own = dev_login(gw, "teacher-01")
    other_class = dev_login(gw, "teacher-02")
    elsewhere = _other_district_teacher()
    url = f"/v1/classes/{GRADE3}/groups"
    body = {"strategy": "next_skill", "min_size": 2, "max_size": 5}
    grouping = gw.post(url, json=body, headers=own)
    assert grouping.status_code == 201, grouping.text
    groups = grouping.json()["groups"]
    # Ten demo learners, plus any that other test modules enrolled in the shared stack.
    grouped = sum(len(g["learner_ids"]) for g in groups)
    assert grouped >= 10
    assert all(2 <= len(g["learner_ids"]) <= 5 for g in groups)
    refused = gw.post(url, json=body, headers=other_class)
    assert refused.status_code == 403
    hidden = gw.post(url, json=body, headers=elsewhere)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"

    target = next(g for g in groups if g["skill_codes"])
    activities = gw.get(
        "/v1/activities", params={"skill_code": target["skill_codes"][0]}, headers=own
    )
    assert activities.status_code == 200, activities.text
    fitting = [
        a for a in activities.json()["items"] if set(a["skill_codes"]) & set(target["skill_codes"])
    ]
    assert fitting, target
    assign_url = f"{url}/{grouping.json()['id']}/assignments"
    payload = {"assignments": [{"group_index": target["index"], "activity_id": fitting[0]["id"]}]}
    assert gw.post(assign_url, json=payload, headers=other_class).status_code == 403
    assert gw.post(assign_url, json=payload, headers=elsewhere).status_code == 404
    assigned = gw.post(assign_url, json=payload, headers=own)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assigned"] == len(target["learner_ids"])

    insights = gw.get(f"/v1/classes/{GRADE3}/insights", headers=own)
    assert insights.status_code == 200, insights.text
    assert len(insights.json()["learners"]) == grouped
    assert gw.get(f"/v1/classes/{GRADE3}/insights", headers=other_class).status_code == 403
    assert gw.get(f"/v1/classes/{GRADE3}/insights", headers=elsewhere).status_code == 404
