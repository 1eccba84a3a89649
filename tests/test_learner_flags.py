"""Early-warning flags through the real gateway: the class dashboard computes and stores them, the
learner's own teacher dismisses one with a note, and a teacher of another school is refused at
the gateway (object-level access: the relation to the learner) before pathways is asked."""

import httpx
import pytest

from pathwise_devstack.testing import dev_login, take_check, wrong_answer
from pathwise_pathways.domain.insights import NO_PROGRESS_ANSWERS
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

GRADE3 = demo_id("class", "grade3-math")
STALLED = demo_id("learner", "learner-04")  # grade 3 at Riverside, teacher-01
CODE = "3.NF.A.1"


def test_flags_from_the_dashboard_dismissed_by_the_own_teacher_only(gw: httpx.Client) -> None:
    learner = dev_login(gw, "learner-04")
    for _ in range(-(-NO_PROGRESS_ANSWERS // 3)):  # checks of three items
        take_check(gw, CODE, STALLED, learner, wrong_answer)
    teacher = dev_login(gw, "teacher-01")
    insights = gw.get(f"/v1/classes/{GRADE3}/insights", headers=teacher)
    assert insights.status_code == 200, insights.text
    rows = {r["learner_id"]: r["flags"] for r in insights.json()["learners"]}
    assert "no_progress" in [f["code"] for f in rows[str(STALLED)]]

    url = f"/v1/learners/{STALLED}/flags/no_progress/dismiss"
    stranger = dev_login(gw, "teacher-04")  # Hillcrest
    refused = gw.post(url, json={"note": "not mine"}, headers=stranger)
    assert refused.status_code == 403, refused.text
    assert refused.json()["check"] == "object"
    assert gw.get(f"/v1/learners/{STALLED}/flags", headers=stranger).status_code == 403
    # Still not dismissed: the refusal changed nothing.
    listed = gw.get(f"/v1/learners/{STALLED}/flags", headers=teacher)
    assert listed.status_code == 200, listed.text
    stalled = next(f for f in listed.json()["flags"] if f["code"] == "no_progress")
    assert not stalled["dismissed"]

    done = gw.post(url, json={"note": "working on it in small group"}, headers=teacher)
    assert done.status_code == 200, done.text
    assert done.json()["dismissed"] and done.json()["dismissed_by"]
    again = gw.get(f"/v1/classes/{GRADE3}/insights", headers=teacher).json()
    row = next(r for r in again["learners"] if r["learner_id"] == str(STALLED))
    flag = next(f for f in row["flags"] if f["code"] == "no_progress")
    assert flag["dismissed"] and flag["dismissal_note"] == "working on it in small group"
    # The class dashboard (the gateway's aggregate) shows the flags with their numbers.
    board = gw.get(f"/v1/classes/{GRADE3}/dashboard", headers=teacher)
    assert board.status_code == 200, board.text
    shown = next(r for r in board.json()["learners"] if r["id"] == str(STALLED))
    on_board = next(f for f in shown["flags"] if f["code"] == "no_progress")
    assert on_board["numbers"]["answers"] >= NO_PROGRESS_ANSWERS and on_board["dismissed"]
