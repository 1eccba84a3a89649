"""The README's demo walk for every demo learner, and placement end to end, through the gateway.

On a stack of its own (freshly seeded, so no other test has moved a pathway on): every demo
learner's current step has a skill check with enough items, easy to hard, at exactly the code the
planner scheduled; one learner takes it and mastery moves. Then a real diagnostic places two
skills of a learner's pathway: the replan marks them placed with the evidence, a teacher of
another school may not revise it, the learner's own teacher un-places one. And what the seed
shows of issue 16 (motivation, a credential, step evidence), also after seeding again.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pathwise_assessment.seed import COMPLETED_GOAL, PRACTICE_LEARNERS, PRACTICE_SKILL
from pathwise_devstack.seed import seed_demo_live
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import TEST_SECRET, dev_login, right_answer, start_stack
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

MIN_ITEMS = 5
DEMO_LEARNERS = [f"learner-{n:02d}" for n in range(1, 34)]
# learner-08: grade 3 (teacher-01), both demo goals, no accommodations.
WALKER = "learner-08"
PLACED = "learner-10"  # grade 3 as well; 2.OA.C.3 and 2.OA.C.4 lead to its 3.OA goal
STRAND = ["2.OA.C.3", "2.OA.C.4"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory: Path = tmp_path_factory.mktemp("demo-walk")
    with start_stack(directory) as running:
        yield running


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.config.url("gateway"), timeout=30.0) as client:
        yield client


def current_step(pathway: dict[str, Any]) -> dict[str, Any]:
    steps = sorted(pathway["steps"], key=lambda s: s["position"])
    return next(s for s in steps if s["status"] == "ready")


def skill_checks(gw: httpx.Client, headers: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    cursor: str | None = None
    while True:
        page = gw.get(
            "/v1/assessments",
            params={"limit": 200, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        for row in page.json()["items"]:
            if row["kind"] == "skill_check":
                for code in row["skill_codes"]:
                    found.setdefault(code, []).append(row)
        cursor = page.json().get("next_cursor")
        if not cursor:
            return found


def check_of(gw: httpx.Client, headers: dict[str, str], assessment_id: str) -> dict[str, Any]:
    answer = gw.get(f"/v1/assessments/{assessment_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_every_demo_learners_current_step_has_a_skill_check(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    checks = skill_checks(gw, admin)
    short: list[str] = []
    for key in DEMO_LEARNERS:
        learner = demo_id("learner", key)
        pathway = gw.get(f"/v1/learners/{learner}/pathway", headers=admin)
        assert pathway.status_code == 200, (key, pathway.text)
        step = current_step(pathway.json())
        # Nothing of earlier grades is assumed: the step is one the planner scheduled on no
        # evidence, and the check is tagged with exactly its code.
        usable = []
        for row in checks.get(step["skill_code"], []):
            full = check_of(gw, admin, row["id"])
            difficulties = [
                gw.get(f"/v1/items/{i}", headers=admin).json()["difficulty"]
                for i in full["item_ids"]
            ]
            if len(difficulties) >= MIN_ITEMS and max(difficulties) - min(difficulties) >= 1.5:
                usable.append(full)
        if not usable:
            short.append(f"{key}: {step['skill_code']}")
    assert not short, "current steps without a skill check of enough items: " + ", ".join(short)


def p_known(gw: httpx.Client, headers: dict[str, str], learner: uuid.UUID, code: str) -> float:
    answer = gw.get(f"/v1/learners/{learner}/mastery", headers=headers)
    assert answer.status_code == 200, answer.text
    return next((s["p_known"] for s in answer.json()["skills"] if s["skill_code"] == code), 0.0)


def test_the_readme_walk_take_the_current_steps_check_and_mastery_moves(gw: httpx.Client) -> None:
    learner = demo_id("learner", WALKER)
    me = dev_login(gw, WALKER)
    admin = dev_login(gw, "admin-district")
    pathway = gw.get(f"/v1/learners/{learner}/pathway", headers=me)
    assert pathway.status_code == 200, pathway.text
    code = current_step(pathway.json())["skill_code"]
    check = skill_checks(gw, admin)[code][0]
    before = p_known(gw, me, learner, code)
    started = gw.post(
        f"/v1/assessments/{check['id']}/attempts", json={"learner_id": str(learner)}, headers=me
    )
    assert started.status_code == 201, started.text
    attempt = started.json()
    for shown in attempt["items"]:
        # The key, as the check's author (a district admin) sees the item.
        spec = gw.get(f"/v1/items/{shown['item_id']}", headers=admin).json()["spec"]
        put = gw.put(
            f"/v1/attempts/{attempt['id']}/responses/{shown['item_id']}",
            json={"answer": right_answer(spec)},
            headers=me,
        )
        assert put.status_code == 200, put.text
    finished = gw.post(f"/v1/attempts/{attempt['id']}/finish", headers=me)
    assert finished.status_code == 200, finished.text
    assert finished.json()["score"] == finished.json()["max_score"] > 0
    assert p_known(gw, me, learner, code) > before


def test_a_diagnostic_places_skills_and_only_the_learners_teacher_revises_it(
    gw: httpx.Client,
) -> None:
    learner = demo_id("learner", PLACED)
    admin = dev_login(gw, "admin-district")
    teacher = dev_login(gw, "teacher-01")
    other_school = dev_login(gw, "teacher-04")  # Hillcrest: no class with the learner
    me = dev_login(gw, PLACED)
    # Two items per skill: a diagnostic answered right places both, and two answers are not
    # enough evidence for mastery, so the steps show as placed (not mastered).
    keys: dict[str, dict[str, Any]] = {}
    for code in STRAND:
        for n, difficulty in enumerate((-0.6, -0.2), start=1):
            made = gw.post(
                "/v1/items",
                json={
                    "stem": f"{code} practice {n}: what is {3 + n} + {3 + n}?",
                    "skill_codes": [code],
                    "difficulty": difficulty,
                    "spec": {"type": "numeric", "value": 2 * (3 + n)},
                },
                headers=admin,
            )
            assert made.status_code == 201, made.text
            keys[made.json()["id"]] = made.json()["spec"]
    diagnostic = gw.post(
        "/v1/assessments",
        json={
            "kind": "diagnostic",
            "title": "Placement: odd, even and arrays",
            "skill_codes": STRAND,
            "max_items": len(keys),
            "target_se": 0.1,
        },
        headers=teacher,
    )
    assert diagnostic.status_code == 201, diagnostic.text
    started = gw.post(
        f"/v1/assessments/{diagnostic.json()['id']}/attempts",
        json={"learner_id": str(learner)},
        headers=me,
    )
    assert started.status_code == 201, started.text
    url = f"/v1/attempts/{started.json()['id']}"
    for _ in range(len(keys)):
        nxt = gw.post(f"{url}/next", headers=me).json()
        if nxt["done"]:
            break
        shown = nxt["item"]["item_id"]
        assert (
            gw.put(
                f"{url}/responses/{shown}", json={"answer": right_answer(keys[shown])}, headers=me
            ).status_code
            == 200
        )
    finished = gw.post(f"{url}/finish", headers=me)
    assert finished.status_code == 200, finished.text
    assert {p["skill_code"] for p in finished.json()["results"]["placement"]["placed"]} == set(
        STRAND
    )

    replanned = gw.post(
        f"/v1/learners/{learner}/pathway", json={"reason": "after the diagnostic"}, headers=teacher
    )
    assert replanned.status_code == 201, replanned.text
    steps = {s["skill_code"]: s for s in replanned.json()["steps"]}
    for code in STRAND:
        assert steps[code]["status"] == "placed", steps[code]
        evidence = steps[code]["placement"]
        assert evidence["attempt_id"] == started.json()["id"]
        assert {a["item_id"] for a in evidence["items"]} <= set(keys)
        assert all(a["correct"] for a in evidence["items"]) and evidence["items"]

    body = {"action": "unplace", "step_id": steps[STRAND[0]]["id"], "reason": "not convinced"}
    foreign = gw.post(f"/v1/learners/{learner}/pathway/overrides", json=body, headers=other_school)
    assert foreign.status_code in {403, 404}, foreign.text
    unplaced = gw.post(f"/v1/learners/{learner}/pathway/overrides", json=body, headers=teacher)
    assert unplaced.status_code == 200, unplaced.text
    step = next(s for s in unplaced.json()["steps"] if s["skill_code"] == STRAND[0])
    assert step["status"] in {"ready", "locked"} and step["placement"]["unplaced"]


def test_the_readme_walk_a_learner_reflects_shows_work_and_earns_a_credential(
    gw: httpx.Client,
) -> None:
    """The README's second walk, as a learner does it: rate their confidence on the current step's
    skill, add a piece of work to it in the portfolio, master the skill on its check and receive
    a credential, which anyone verifies without a token (issue 16)."""
    key = "learner-09"  # grade 3, teacher-01's class; no other test of this stack uses them
    learner = demo_id("learner", key)
    me = dev_login(gw, key)
    admin = dev_login(gw, "admin-district")
    base = f"/v1/learners/{learner}"
    pathway = gw.get(f"{base}/pathway", headers=me)
    assert pathway.status_code == 200, pathway.text
    step = current_step(pathway.json())
    code = step["skill_code"]

    reflected = gw.post(
        f"{base}/reflections",
        json={"skill_code": code, "confidence": 2, "journal": "I can do it with the number line."},
        headers={**me, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert reflected.status_code == 201, reflected.text
    work = gw.post(
        f"{base}/portfolio",
        data={
            "kind": "text",
            "title": "How I did it",
            "body": "I drew jumps.",
            "step_id": step["id"],
        },
        headers={**me, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert work.status_code == 201, work.text
    assert work.json()["step_id"] == step["id"]

    # Not mastered yet: no credential, a problem that says why.
    early = gw.post(f"{base}/credentials", json={"skill_code": code}, headers=me)
    assert early.status_code == 409, early.text
    check = skill_checks(gw, admin)[code][0]
    for _ in range(6):
        started = gw.post(
            f"/v1/assessments/{check['id']}/attempts", json={"learner_id": str(learner)}, headers=me
        )
        assert started.status_code == 201, started.text
        attempt = started.json()
        for shown in attempt["items"]:
            spec = gw.get(f"/v1/items/{shown['item_id']}", headers=admin).json()["spec"]
            put = gw.put(
                f"/v1/attempts/{attempt['id']}/responses/{shown['item_id']}",
                json={"answer": right_answer(spec)},
                headers=me,
            )
            assert put.status_code == 200, put.text
        assert gw.post(f"/v1/attempts/{attempt['id']}/finish", headers=me).status_code == 200
        skills = gw.get(f"{base}/mastery", headers=me).json()["skills"]
        if any(s["skill_code"] == code and s["mastered"] for s in skills):
            break
    else:
        raise AssertionError(f"{code} not mastered after six checks answered right")

    issued = gw.post(
        f"{base}/credentials",
        json={"skill_code": code},
        headers={**me, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert issued.status_code == 201, issued.text
    verified = gw.post("/v1/public/credentials/verify", json={"credential": issued.json()["jwt"]})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True, verified.json()
    # The teacher sees the learner's confidence beside the model's estimate.
    overview = gw.get(f"{base}/overview", headers=dev_login(gw, "teacher-01"))
    assert overview.status_code == 200, overview.text
    rated = [c for c in overview.json()["calibration"] or [] if c["skill_code"] == code]
    assert rated and rated[0]["confidence"] == 2, overview.json()["calibration"]


def test_the_demo_shows_motivation_a_credential_and_step_evidence(
    stack: Stack, gw: httpx.Client
) -> None:
    """What the seed did through the services' APIs (issue 16, part 11): learners 26 and 27
    mastered their goal skill (first-mastery badge, points), learner-26 after six practice days
    with one missed day (a live streak and its badge) and with a credential for the skill and one
    for their completed goal (its one target skill that skill), which verify without a token; learner-28 practised only; learner-29's step has an evidence rule
    and a scored and a pending submission, the scored one counted in assessment. The live seed
    runs a second time first (a second ``make run``): none of it is there twice."""
    again = seed_demo_live(stack.config, TEST_SECRET)
    assert not [line for line in again if "failed" in line], again
    teacher = dev_login(gw, "teacher-03")
    for key, mastered in (("learner-26", True), ("learner-27", True), ("learner-28", False)):
        learner = demo_id("learner", key)
        got = gw.get(f"/v1/learners/{learner}/motivation", headers=teacher)
        assert got.status_code == 200, got.text
        seen = got.json()
        badges = {b["code"] for b in seen["badges"]}
        assert ("first_mastery" in badges) is mastered, (key, seen)
        assert seen["skills_mastered"] == (1 if mastered else 0), (key, seen)
        assert seen["streak_days"] >= 3 and seen["answered_items"] > 0, (key, seen)
        assert seen["points"] == seen["answered_items"] + 10 * seen["skills_mastered"]
    # learner-28 answered two items today on top of the earlier days: none counted twice.
    earlier, _master = PRACTICE_LEARNERS["learner-28"]
    practised = gw.get(
        f"/v1/learners/{demo_id('learner', 'learner-28')}/motivation", headers=teacher
    ).json()
    assert practised["answered_items"] == sum(earlier.values()) + 2, practised
    streaker = gw.get(
        f"/v1/learners/{demo_id('learner', 'learner-26')}/motivation", headers=teacher
    ).json()
    assert streaker["streak_days"] == 6 and "streak_5" in {b["code"] for b in streaker["badges"]}

    me = dev_login(gw, "learner-26")
    held = gw.get(f"/v1/learners/{demo_id('learner', 'learner-26')}/credentials", headers=me)
    assert held.status_code == 200, held.text
    # One for the skill, one for the completed goal whose one target skill it is: each once,
    # though the live seed ran twice.
    by_kind = {("goal" if c["goal_id"] else "skill"): c for c in held.json()["items"]}
    assert len(held.json()["items"]) == 2 and set(by_kind) == {"skill", "goal"}, held.json()
    assert by_kind["skill"]["skill_code"] == PRACTICE_SKILL
    assert by_kind["goal"]["goal_id"] == str(COMPLETED_GOAL)
    achievement = by_kind["goal"]["credential"]["credentialSubject"]["achievement"]
    assert achievement["id"].endswith(f":goal:{COMPLETED_GOAL}")
    assert achievement["tag"] == [PRACTICE_SKILL]
    # The goal is completed in profiles, as the learner sees it.
    goals = gw.get(f"/v1/learners/{demo_id('learner', 'learner-26')}/goals", headers=me)
    assert goals.status_code == 200, goals.text
    completed = next(g for g in goals.json() if g["id"] == str(COMPLETED_GOAL))
    assert completed["status"] == "achieved" and completed["skill_codes"] == [PRACTICE_SKILL]
    for credential in by_kind.values():
        # Anyone verifies it: no token.
        verified = gw.post("/v1/public/credentials/verify", json={"credential": credential["jwt"]})
        assert verified.status_code == 200 and verified.json()["verified"] is True, verified.text

    learner = demo_id("learner", "learner-29")
    pathway = gw.get(f"/v1/learners/{learner}/pathway", headers=teacher).json()
    step = current_step(pathway)
    rule = gw.get(
        f"/v1/learners/{learner}/pathway/steps/{step['id']}/evidence-rule", headers=teacher
    )
    assert rule.status_code == 200 and rule.json()["formats"] == ["writing", "drawing"], rule.text
    listed = gw.get(f"/v1/learners/{learner}/pathway/evidence", headers=teacher)
    assert listed.status_code == 200, listed.text
    by_status = {s["status"]: s for s in listed.json()["items"]}
    assert len(listed.json()["items"]) == 2, listed.json()
    assert set(by_status) == {"scored", "pending"}, listed.json()
    assert by_status["scored"]["fraction"] == 1.0 and by_status["scored"]["correct"] is True
    mastery = gw.get(f"/v1/learners/{learner}/mastery", headers=teacher).json()["skills"]
    counted = next(s for s in mastery if s["skill_code"] == step["skill_code"])
    assert counted["evidence_count"] == 1, counted
