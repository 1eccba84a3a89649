"""The guardian home through the real gateway in front of the real services, with the demo data:
a guardian lists their children and reads one child's summary (goals, current step, recent
practice, mastery by goal, support notes, what the child shared, upcoming dates), in their own
language; another child is not found; staff and clients are refused.

Learners 12 and 13 (grade 4, teacher-02) are this module's: learner-12 shares reflections with
guardians, learner-13 does not; guardian-13 reads Spanish (the demo seed's preferred language).
learner-13 answers its current step's checks wrongly until the class insights flag it."""

import uuid

import httpx
import pytest

from pathwise_devstack.testing import dev_login, take_check, wrong_answer
from pathwise_gateway.aggregates.domain.family import SUPPORT_NOTES, support_note
from pathwise_pathways.domain.insights import NO_PROGRESS_ANSWERS
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER_01 = demo_id("learner", "learner-01")
SHARES = demo_id("learner", "learner-12")
FLAGGED = demo_id("learner", "learner-13")
GRADE4 = demo_id("class", "grade4-math")


def _summary(gw: httpx.Client, learner: uuid.UUID, headers: dict[str, str]) -> httpx.Response:
    return gw.get(f"/v1/me/children/{learner}/summary", headers=headers)


def test_guardian_lists_their_own_children(gw: httpx.Client) -> None:
    answer = gw.get("/v1/me/children", headers=dev_login(gw, "guardian-01"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-language"] == "en"
    body = answer.json()
    assert body["language"] == "en"
    [child] = body["children"]
    assert child["learner_id"] == str(LEARNER_01)
    assert child["grade"] == "03"
    assert child["display_name"].startswith(child["given_name"])
    assert [s["id"] for s in child["schools"]] == [str(demo_id("school", "riverside-elementary"))]
    assert str(demo_id("class", "grade3-math")) in [c["id"] for c in child["classes"]]


def test_a_guardian_of_two_lists_both(gw: httpx.Client) -> None:
    answer = gw.get("/v1/me/children", headers=dev_login(gw, "guardian-05"))
    assert answer.status_code == 200, answer.text
    listed = {c["learner_id"]: c["grade"] for c in answer.json()["children"]}
    assert listed == {
        str(demo_id("learner", "learner-05")): "03",
        str(demo_id("learner", "learner-15")): "04",
    }


def test_summary_of_own_child(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-01")
    answer = _summary(gw, LEARNER_01, guardian)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-language"] == "en"
    body = answer.json()
    assert body["degraded"] == []
    assert body["language"] == "en" and body["labels"]["support_notes"] == "Notes from school"
    # The goals are the profile's, as the guardian reads them there.
    profile = gw.get(f"/v1/learners/{LEARNER_01}/profile", headers=guardian).json()
    assert [g["id"] for g in body["goals"]] == [g["id"] for g in profile["goals"]]
    assert all(g["status_label"] for g in body["goals"])
    assert [g["progress"] for g in body["goals"]] == [g["progress"] for g in profile["goals"]]
    # The current step is the pathway's first ready step.
    pathway = gw.get(f"/v1/learners/{LEARNER_01}/pathway", headers=guardian).json()
    ready = next(s for s in pathway["steps"] if s["status"] == "ready")
    assert body["current_step"]["id"] == ready["id"]
    assert body["current_step"]["skill_code"] == ready["skill_code"]
    assert [g["goal_id"] for g in body["mastery_by_goal"]] == [g["id"] for g in profile["goals"]]
    assert isinstance(body["recent_evidence"], list)
    # learner-01 keeps reflections from guardians (the default): none shown, and said so.
    assert body["shared"]["reflections"] == []
    assert "reflections" in body["withheld"]
    # The portfolio: what learner-01 shared with guardians (the demo's text artifact), not the
    # link or the image kept to themself.
    shared = gw.get(f"/v1/learners/{LEARNER_01}/portfolio", headers=guardian).json()["items"]
    assert "What I learned this week" in [a["title"] for a in shared]
    assert sorted(a["id"] for a in body["shared"]["portfolio"]) == sorted(a["id"] for a in shared)
    assert "The video that helped me" not in answer.text
    # Nothing raw: no answers, responses or item ids anywhere in the summary.
    for word in ("response", "item_id", "p_known", "answers"):
        assert word not in answer.text


def test_another_child_is_not_found(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-01")
    for other in (demo_id("learner", "learner-02"), FLAGGED, uuid.uuid4()):
        answer = _summary(gw, other, guardian)
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/learner-not-found")


def test_staff_students_and_clients_are_refused(gw: httpx.Client) -> None:
    for username in ("teacher-01", "learner-01", "admin-district"):
        headers = dev_login(gw, username)
        assert _summary(gw, LEARNER_01, headers).status_code == 403, username
        assert gw.get("/v1/me/children", headers=headers).status_code == 403, username


def test_bad_window_is_a_validation_problem(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-01")
    for days in ("0", "91", "soon"):
        answer = gw.get(
            f"/v1/me/children/{LEARNER_01}/summary", params={"days": days}, headers=guardian
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


def test_shared_reflections_are_shown(gw: httpx.Client) -> None:
    answer = _summary(gw, SHARES, dev_login(gw, "guardian-12"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "reflections" not in body["withheld"]
    journals = {r["journal"] for r in body["shared"]["reflections"]}
    assert "Equivalent fractions confuse me when the numbers are big." in journals
    # The teacher's replies are between the teacher and the child.
    assert "Try drawing the bars first" not in answer.text


def test_flagged_child_in_spanish_with_support_notes(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-13")
    before = _summary(gw, FLAGGED, guardian)
    assert before.status_code == 200, before.text
    assert before.json()["support_notes"] == []
    learner = dev_login(gw, "learner-13")
    pathway = gw.get(f"/v1/learners/{FLAGGED}/pathway", headers=learner).json()
    step = next(s for s in pathway["steps"] if s["status"] == "ready")
    code = step["skill_code"]
    for _ in range(-(-NO_PROGRESS_ANSWERS // 3)):  # checks of three items
        take_check(gw, code, FLAGGED, learner, wrong_answer)
    teacher = dev_login(gw, "teacher-02")
    insights = gw.get(f"/v1/classes/{GRADE4}/insights", headers=teacher)
    assert insights.status_code == 200, insights.text
    raised = {
        f["code"]
        for row in insights.json()["learners"]
        if row["learner_id"] == str(FLAGGED)
        for f in row["flags"]
    }
    assert raised, "the failed checks raised no flag"

    answer = _summary(gw, FLAGGED, guardian)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-language"] == "es"
    body = answer.json()
    assert body["language"] == "es" and body["labels"]["goals"] == "Metas"
    notes = body["support_notes"]
    assert {n["kind"] for n in notes} == raised
    given = gw.get("/v1/me/children", headers=guardian).json()["children"][0]["given_name"]
    titles = {s["skill_code"]: s["title"] for s in pathway["steps"]}
    for note in notes:
        skill = titles.get(note["skill_code"], note["skill_code"]) if note["skill_code"] else None
        assert note["text"] == support_note(note["kind"], given, skill, "es")
        assert note["text"] not in SUPPORT_NOTES["en"].values()
        assert "riesgo" not in note["text"] and "risk" not in note["text"]
    # The practice shows as recent evidence (skill, level, date), in Spanish words.
    practised = next(e for e in body["recent_evidence"] if e["skill_code"] == code)
    assert practised["level_label"] and practised["at"]
    assert body["current_step"]["skill_code"] == code
    # learner-13 has reflections but keeps them from guardians: none shown.
    assert body["shared"]["reflections"] == [] and "reflections" in body["withheld"]
    # The staff's sentence and numbers never reach the family.
    assert "P(known)" not in answer.text and "scored answers" not in answer.text

    # A flag the teacher dismissed (decided no follow-up is needed) is no longer a note.
    dismissed = notes[0]["kind"]
    note = "talked with the family"
    done = gw.post(
        f"/v1/learners/{FLAGGED}/flags/{dismissed}/dismiss", json={"note": note}, headers=teacher
    )
    assert done.status_code == 200, done.text
    after = _summary(gw, FLAGGED, guardian).json()
    assert dismissed not in {n["kind"] for n in after["support_notes"]}
    assert note not in str(after)
