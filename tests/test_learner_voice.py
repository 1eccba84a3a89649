"""A learner's reflection through the real gateway: the learner rates their confidence on a
skill, their teacher replies, the teacher's overview shows the calibration signal (assessment's
mastery beside the learner's own rating), and a guardian reads nothing the learner has not shared.
"""

import uuid

import httpx
import pytest

from pathwise_assessment.seed import check_id, item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.testing import dev_login, right_answer
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

# learner-05 (grade 3 math, teacher-01; guardian-05) is no other integration test's learner.
LEARNER = demo_id("learner", "learner-05")
SKILL = "3.NF.A.1"


def _master(gw: httpx.Client, learner: dict[str, str]) -> None:
    """Perfect skill checks until assessment counts the skill as mastered."""
    keys = {item_id(SKILL, n): raw["spec"] for n, raw in enumerate(DEMO_ITEMS[SKILL], start=1)}
    for _ in range(5):
        mastery = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=learner).json()
        if any(s["skill_code"] == SKILL and s["mastered"] for s in mastery["skills"]):
            return
        started = gw.post(
            f"/v1/assessments/{check_id(SKILL)}/attempts",
            json={"learner_id": str(LEARNER)},
            headers=learner,
        )
        assert started.status_code == 201, started.text
        attempt = started.json()
        for shown in attempt["items"]:
            put = gw.put(
                f"/v1/attempts/{attempt['id']}/responses/{shown['item_id']}",
                json={"answer": right_answer(keys[uuid.UUID(shown["item_id"])])},
                headers=learner,
            )
            assert put.status_code == 200, put.text
        finished = gw.post(f"/v1/attempts/{attempt['id']}/finish", headers=learner)
        assert finished.status_code == 200, finished.text
    raise AssertionError("five perfect skill checks did not reach mastery")


def test_reflection_reply_and_calibration_through_the_gateway(gw: httpx.Client) -> None:
    learner = dev_login(gw, "learner-05")
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-05")
    base = f"/v1/learners/{LEARNER}"
    _master(gw, learner)

    # Mastered, yet the learner rates themself 1 ("not yet"): under-confident.
    made = gw.post(
        f"{base}/reflections",
        json={"skill_code": SKILL, "confidence": 1, "journal": "I still guess on these."},
        headers={**learner, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert made.status_code == 201, made.text
    reflection = made.json()
    # Nobody writes a reflection for the learner.
    for other in (teacher, guardian):
        refused = gw.post(
            f"{base}/reflections", json={"skill_code": SKILL, "confidence": 4}, headers=other
        )
        assert refused.status_code == 403, refused.text

    replied = gw.post(
        f"{base}/reflections/{reflection['id']}/replies",
        json={"body": "Your last three checks were all right. Trust yourself!"},
        headers=teacher,
    )
    assert replied.status_code == 201, replied.text
    thread = gw.get(f"{base}/reflections/{reflection['id']}", headers=learner)
    assert thread.status_code == 200, thread.text
    assert [r["role"] for r in thread.json()["replies"]] == ["teacher"]

    overview = gw.get(f"{base}/overview", headers=teacher)
    assert overview.status_code == 200, overview.text
    body = overview.json()
    assert body["withheld"] == [] and body["degraded"] == []
    calibration = {c["skill_code"]: c for c in body["calibration"]}
    assert calibration[SKILL]["signal"] == "under_confident"
    assert calibration[SKILL]["confidence"] == 1 and calibration[SKILL]["mastered"] is True

    # The guardian: no reflections, no confidence, no calibration without the learner's consent.
    assert gw.get(f"{base}/reflections", headers=guardian).status_code == 403
    assert gw.get(f"{base}/confidence", headers=guardian).status_code == 403
    theirs = gw.get(f"{base}/overview", headers=guardian)
    assert theirs.status_code == 200 and theirs.json()["calibration"] is None
    assert "I still guess" not in theirs.text
