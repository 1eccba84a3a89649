"""Placement through the API: a real diagnostic attempt in the assessment app, a replan in
pathways, the placed (or, on enough evidence, mastered) steps with their evidence.

learner-02 (grade 3, both demo goals: fractions, and multiplication 3.OA.A.1 / 3.OA.C.7) takes a
diagnostic over the multiplication strand and answers every item right.
"""

import uuid
from typing import Any, Protocol

import pytest

from pathwise_assessment.seed import item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.testing import ServiceClient, make_principal, right_answer
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id


class LiveApps(Protocol):
    assessment: ServiceClient
    pathways: ServiceClient


DISTRICT = demo_id("district", "riverside")
LEARNER = demo_id("learner", "learner-02")
STRAND = ["3.OA.A.1", "3.OA.C.7"]
KEYS = {
    item_id(code, n): raw["spec"]
    for code in STRAND
    for n, raw in enumerate(DEMO_ITEMS[code], start=1)
}


def teacher() -> Principal:
    return make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01"))


def student() -> Principal:
    return make_principal(DISTRICT, roles=["student"], user_id=LEARNER)


async def take_diagnostic(assessment: ServiceClient) -> dict[str, Any]:
    created = await assessment.post(
        "/v1/assessments",
        headers=assessment.as_(teacher()),
        json={
            "kind": "diagnostic",
            "title": "Placement: multiplication within 100",
            "skill_codes": STRAND,
            "max_items": len(KEYS),
            "target_se": 0.1,
        },
    )
    assert created.status_code == 201, created.text
    started = await assessment.post(
        f"/v1/assessments/{created.json()['id']}/attempts",
        json={"learner_id": str(LEARNER)},
        headers=assessment.as_(student()),
    )
    assert started.status_code == 201, started.text
    url = f"/v1/attempts/{started.json()['id']}"
    for _ in range(len(KEYS)):  # bounded: never hangs on a broken stop rule
        nxt = (await assessment.post(f"{url}/next", headers=assessment.as_(student()))).json()
        if nxt["done"]:
            break
        shown = nxt["item"]["item_id"]
        put = await assessment.put(
            f"{url}/responses/{shown}",
            json={"answer": right_answer(KEYS[uuid.UUID(shown)])},
            headers=assessment.as_(student()),
        )
        assert put.status_code == 200, put.text
    finished = await assessment.post(f"{url}/finish", headers=assessment.as_(student()))
    assert finished.status_code == 200, finished.text
    body: dict[str, Any] = finished.json()
    return body


def step_of(pathway: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in pathway["steps"] if s["skill_code"] == code)


async def plan(pathways: ServiceClient, **extra: Any) -> dict[str, Any]:
    made = await pathways.post(
        f"/v1/learners/{LEARNER}/pathway",
        json={"reason": "placement test", **extra},
        headers=pathways.as_(teacher()),
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def override(pathways: ServiceClient, principal: Principal, **body: Any) -> Any:
    return await pathways.post(
        f"/v1/learners/{LEARNER}/pathway/overrides",
        json={"reason": "teacher knows better", **body},
        headers=pathways.as_(principal),
    )


@pytest.fixture(scope="module")
async def before(live_apps: LiveApps) -> dict[str, Any]:
    """The pathway before any evidence: nothing assumed (the default), so it starts at the roots
    of the goals' prerequisites and the strand's skills are open steps."""
    return await plan(live_apps.pathways)


async def test_prior_grades_are_not_assumed_by_default(
    live_apps: LiveApps, before: dict[str, Any]
) -> None:
    codes = [s["skill_code"] for s in before["steps"]]
    assert any(c.startswith(("K.", "1.")) for c in codes), "earlier grades are planned"
    assert all(s["status"] in {"ready", "locked"} for s in before["steps"])
    assert all(s["placement"] is None for s in before["steps"])
    # A teacher who wants it still can: skills two or more grades below count as mastered.
    assumed = await plan(live_apps.pathways, assume_prior_grades=True)
    open_codes = {s["skill_code"] for s in assumed["steps"] if s["status"] in {"ready", "locked"}}
    assert open_codes and not any(c.startswith(("K.", "1.")) for c in open_codes)
    # Planned again without it, the earlier grades are open steps again.
    again = await plan(live_apps.pathways)
    assert {s["skill_code"] for s in again["steps"] if s["status"] in {"ready", "locked"}} == set(
        codes
    )


async def test_a_diagnostic_places_skills_with_evidence_and_a_teacher_revises_it(
    live_apps: LiveApps, before: dict[str, Any]
) -> None:
    pathways = live_apps.pathways
    assert {step_of(before, c)["status"] for c in STRAND} <= {"ready", "locked"}
    result = await take_diagnostic(live_apps.assessment)
    placement = result["results"]["placement"]
    placed = {p["skill_code"]: p for p in placement["placed"]}
    assert set(placed) == set(STRAND), placement

    mastery = (
        await live_apps.assessment.get(
            f"/v1/learners/{LEARNER}/mastery", headers=live_apps.assessment.as_(teacher())
        )
    ).json()
    mastered = {s["skill_code"] for s in mastery["skills"] if s["mastered"]}
    after = await plan(pathways)
    for code in STRAND:
        step = step_of(after, code)
        # The diagnostic's answers are evidence for mastery too; mastery wins over placement.
        assert step["status"] == ("mastered" if code in mastered else "placed"), (step, mastered)
        evidence = step["placement"]
        assert evidence["attempt_id"] == result["id"] and not evidence["unplaced"]
        assert evidence["p_correct"] >= 0.7
        # The evidence names the answers on items of this very skill, all from the attempt.
        answered = {uuid.UUID(a["item_id"]) for a in evidence["items"]}
        assert answered and answered <= {item_id(code, n) for n in range(1, 10)}
        assert any(a["correct"] for a in evidence["items"])
    # The steps that only led up to the placed skills are gone; a placed step is not current.
    only_for_strand = {
        s["skill_code"] for s in before["steps"] if set(s["goal_codes"]) <= set(STRAND)
    } - set(STRAND)
    assert only_for_strand, "the strand had prerequisites of its own before"
    assert not only_for_strand & {s["skill_code"] for s in after["steps"]}

    # A teacher revises placements only: a skill mastered on the evidence is not "placed"
    # (un-placing a placed one, and the access rule, are in tests/test_demo_walk.py, on a strand
    # whose two answers a skill cannot reach mastery with).
    for code in sorted(mastered & set(STRAND)):
        conflict = await override(
            pathways, teacher(), action="unplace", step_id=step_of(after, code)["id"]
        )
        assert conflict.status_code == 409 and conflict.json()["type"].endswith("/step-not-placed")
    own = await override(
        pathways, student(), action="unplace", step_id=step_of(after, STRAND[0])["id"]
    )
    assert own.status_code == 403


async def test_placing_a_step_without_placement_is_a_conflict(
    live_apps: LiveApps, before: dict[str, Any]
) -> None:
    pathway = await plan(live_apps.pathways)
    plain = next(s for s in pathway["steps"] if s["status"] == "ready")
    for action in ("unplace", "place"):
        answer = await override(live_apps.pathways, teacher(), action=action, step_id=plain["id"])
        assert answer.status_code == 409, answer.text
    missing = await override(live_apps.pathways, teacher(), action="unplace")
    assert missing.status_code == 404  # no step_id names no step
