"""A student voice survey through the real gateway: teacher-01 sends one to their class,
learner-01 answers with consent and their interests and formats change, learner-02 answers
without and their profile stays, nobody answers for someone else, and the teacher reads the
results (per learner, per option)."""

import uuid
from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER_01 = demo_id("learner", "learner-01")
LEARNER_02 = demo_id("learner", "learner-02")
CLASS = demo_id("class", "grade3-math")
SURVEY = {
    "title": "What I'm into",
    "questions": [
        {"kind": "multiple_choice", "prompt": "Pick what you like",
         "options": ["volcanoes", "chess", "origami"], "maps_to": "interests"},
        {"kind": "multiple_choice", "prompt": "How do you like to learn?",
         "options": ["audio", "hands_on"], "maps_to": "preferred_formats"},
        {"kind": "scale", "prompt": "Math is fun (1-5)"},
    ],
}  # fmt: skip


def _answers(apply: bool) -> dict[str, Any]:
    return {
        "answers": [
            {"question_id": "q1", "value": ["volcanoes", "origami"], "apply_to_profile": apply},
            {"question_id": "q2", "value": ["audio"], "apply_to_profile": apply},
            {"question_id": "q3", "value": 5},
        ]
    }


def test_survey_sent_answered_with_consent_and_read_by_the_teacher(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-01")
    learner_01 = dev_login(gw, "learner-01")
    learner_02 = dev_login(gw, "learner-02")
    guardian = dev_login(gw, "guardian-01")

    made = gw.post(
        "/v1/surveys", json=SURVEY, headers={**teacher, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    # The class's learners as they are now (other tests of this stack may enrol more).
    roster = gw.get(f"/v1/classes/{CLASS}/enrollments", params={"limit": 200}, headers=teacher)
    assert roster.status_code == 200, roster.text
    students = {e["user_id"] for e in roster.json()["items"] if e["role"] == "student"}
    assert len(students) >= 10 and str(LEARNER_01) in students
    sent = gw.post(f"/v1/surveys/{sid}/send", json={"class_id": str(CLASS)}, headers=teacher)
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent"] == len(students)

    inbox = gw.get(f"/v1/learners/{LEARNER_01}/surveys", headers=learner_01)
    assert inbox.status_code == 200, inbox.text
    assert sid in [a["survey"]["id"] for a in inbox.json()["items"]]

    # Another learner cannot answer (or read) learner-01's survey; a guardian or teacher neither.
    for other in (learner_02, guardian, teacher):
        refused = gw.post(
            f"/v1/learners/{LEARNER_01}/surveys/{sid}/answers", json=_answers(True), headers=other
        )
        assert refused.status_code == 403, refused.text
    assert gw.get(f"/v1/learners/{LEARNER_01}/surveys", headers=learner_02).status_code == 403

    before = gw.get(f"/v1/learners/{LEARNER_01}/profile", headers=learner_01).json()
    done = gw.post(
        f"/v1/learners/{LEARNER_01}/surveys/{sid}/answers",
        json=_answers(True),
        headers=learner_01,
    )
    assert done.status_code == 201, done.text
    assert done.json()["applied_fields"] == ["interests", "preferred_formats"]
    after = gw.get(f"/v1/learners/{LEARNER_01}/profile", headers=learner_01)
    mine = after.json()
    assert mine["interests"] == [*before["interests"], "volcanoes", "origami"]
    assert "audio" in mine["preferred_formats"] and "hands_on" not in mine["preferred_formats"]
    assert after.headers["ETag"] != before["etag"]
    again = gw.post(
        f"/v1/learners/{LEARNER_01}/surveys/{sid}/answers", json=_answers(True), headers=learner_01
    )
    assert again.status_code == 409, again.text

    # Without consent: the answers are kept, the profile is not touched.
    before_02 = gw.get(f"/v1/learners/{LEARNER_02}/profile", headers=teacher).json()
    plain = gw.post(
        f"/v1/learners/{LEARNER_02}/surveys/{sid}/answers",
        json=_answers(False),
        headers=learner_02,
    )
    assert plain.status_code == 201, plain.text
    assert gw.get(f"/v1/learners/{LEARNER_02}/profile", headers=teacher).json() == before_02

    results = gw.get(f"/v1/surveys/{sid}/results", headers=teacher)
    assert results.status_code == 200, results.text
    body = results.json()
    assert body["sent"] == len(students) and body["answered"] == 2
    answered = {r["learner_id"] for r in body["learners"] if r["answers"]}
    assert answered == {str(LEARNER_01), str(LEARNER_02)}
    counts = {c["question_id"]: c["options"] for c in body["counts"]}
    assert counts["q1"] == {"volcanoes": 2, "chess": 0, "origami": 2}
    assert counts["q3"]["5"] == 2
    # Guardians see nothing of surveys.
    assert gw.get(f"/v1/surveys/{sid}/results", headers=guardian).status_code == 403
