"""Evidence in the learner's chosen format through the real gateway in front of the real
services: teacher-01 allows writing and drawing on learner-01's current step with a rubric;
learner-01 submits a text artifact (a video is refused); teacher-01 scores it and learner-01's
mastery of the step's skill moves in assessment, once, however often the score is retried;
guardian-01 cannot submit."""

from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")
PATHWAY = f"/v1/learners/{LEARNER}/pathway"
RUBRIC = {
    "criteria": [
        {
            "id": "reasoning",
            "description": "The reasoning is sound",
            "levels": [
                {"id": "beginning", "description": "Not yet", "points": 0},
                {"id": "developing", "description": "Partly", "points": 2},
                {"id": "secure", "description": "Fully", "points": 3},
            ],
        },
        {
            "id": "communication",
            "description": "It is clearly explained",
            "levels": [
                {"id": "unclear", "description": "Hard to follow", "points": 0},
                {"id": "clear", "description": "Clear", "points": 1},
            ],
        },
    ]
}
TOP = {"reasoning": "secure", "communication": "clear"}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\0" * 64


def mastery_of(gw: httpx.Client, headers: dict[str, str], code: str) -> dict[str, Any]:
    got = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=headers)
    assert got.status_code == 200, got.text
    return next((s for s in got.json()["skills"] if s["skill_code"] == code), {})


def test_evidence_in_the_learners_format(gw: httpx.Client) -> None:
    student = dev_login(gw, "learner-01")
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-01")
    steps = gw.get(PATHWAY, headers=student).json()["steps"]
    step = next(s for s in steps if s["status"] == "ready")
    base = f"{PATHWAY}/steps/{step['id']}"

    current = gw.get(f"{base}/evidence-rule", headers=teacher)
    assert current.status_code == 200, current.text
    rule = gw.put(
        f"{base}/evidence-rule",
        json={"formats": ["writing", "drawing"], "rubric": RUBRIC},
        headers={**teacher, "If-Match": current.json()["etag"]},
    )
    assert rule.status_code == 200, rule.text
    # The learner may not set the rule.
    assert gw.put(f"{base}/evidence-rule", json={"formats": []}, headers=student).status_code == 403

    text = gw.post(
        f"/v1/learners/{LEARNER}/portfolio",
        data={"kind": "text", "title": "Why 3/4 > 2/3", "body": "I drew both on a number line."},
        headers=student,
    )
    assert text.status_code == 201, text.text
    video = gw.post(
        f"/v1/learners/{LEARNER}/portfolio",
        data={"kind": "video", "title": "Me explaining"},
        files={"file": ("me.mp4", MP4, "video/mp4")},
        headers=student,
    )
    assert video.status_code == 201, video.text

    refused = gw.post(f"{base}/evidence", json={"artifact_id": video.json()["id"]}, headers=student)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/evidence-format-not-allowed")
    # A guardian never submits for the learner.
    by_guardian = gw.post(
        f"{base}/evidence", json={"artifact_id": text.json()["id"]}, headers=guardian
    )
    assert by_guardian.status_code == 403

    sent = gw.post(f"{base}/evidence", json={"artifact_id": text.json()["id"]}, headers=student)
    assert sent.status_code == 201, sent.text
    assert sent.json()["format"] == "writing" and sent.json()["status"] == "pending"

    before = mastery_of(gw, teacher, step["skill_code"])
    url = f"{base}/evidence/{sent.json()['id']}/score"
    # The learner does not score their own work.
    assert gw.post(url, json={"levels": TOP}, headers=student).status_code == 403
    scored = gw.post(url, json={"levels": TOP, "comment": "Well argued."}, headers=teacher)
    assert scored.status_code == 200, scored.text
    assert scored.json()["fraction"] == 1.0 and scored.json()["correct"] is True
    after = mastery_of(gw, teacher, step["skill_code"])
    assert after["evidence_count"] == before.get("evidence_count", 0) + 1
    assert after["p_known"] > before.get("p_known", 0.0)

    retried = gw.post(url, json={"levels": TOP, "comment": "Well argued."}, headers=teacher)
    assert retried.status_code == 200 and retried.json()["id"] == scored.json()["id"]
    again = mastery_of(gw, teacher, step["skill_code"])
    assert again["evidence_count"] == after["evidence_count"]
    assert again["p_known"] == pytest.approx(after["p_known"], abs=1e-6)

    seen = gw.get(f"{base}/evidence/{sent.json()['id']}", headers=student)
    assert seen.status_code == 200 and seen.json()["comment"] == "Well argued."
