"""Attempts from outside: the findings of the security review, each as a call through the real
gateway (the role x ownership matrix in test_gateway_matrix.py covers the grid; these are the
edges around it)."""

import uuid

import httpx
import pytest

from pathwise_assessment.seed import check_id
from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

CHECK = check_id("3.OA.C.7")
LEARNER_01 = demo_id("learner", "learner-01")  # grade 3 math at Riverside, teacher-01
LEARNER_31 = demo_id("learner", "learner-31")  # Hillcrest, teacher-04


def _start(gw: httpx.Client, headers: dict[str, str], body: object) -> httpx.Response:
    return gw.post(f"/v1/assessments/{CHECK}/attempts", json=body, headers=headers)


def test_a_teacher_of_another_school_cannot_finish_a_learners_attempt(gw: httpx.Client) -> None:
    own = _start(gw, dev_login(gw, "teacher-01"), {"learner_id": str(LEARNER_01)})
    assert own.status_code == 201, own.text
    attempt = own.json()["id"]
    stranger = dev_login(gw, "teacher-04")
    finished = gw.post(f"/v1/attempts/{attempt}/finish", headers=stranger)
    assert finished.status_code == 403, finished.text
    assert finished.json()["check"] == "object"
    # Nothing changed: the attempt is still open for its own teacher.
    still = gw.get(f"/v1/attempts/{attempt}", headers=dev_login(gw, "teacher-01"))
    assert still.status_code == 200 and still.json()["status"] == "in_progress", still.text


def test_a_school_admin_cannot_start_attempts_for_another_schools_learner(
    gw: httpx.Client,
) -> None:
    answer = _start(
        gw, dev_login(gw, "admin-riverside-elementary"), {"learner_id": str(LEARNER_31)}
    )
    assert answer.status_code == 403, answer.text


@pytest.mark.parametrize(
    "body",
    [{}, {"learner_id": None}, {"learner_id": "not-an-id"}, {"learner_id": 5}, ["x"], "x"],
)
def test_a_body_that_names_no_learner_is_refused_before_it_is_forwarded(
    gw: httpx.Client, body: object
) -> None:
    answer = _start(gw, dev_login(gw, "teacher-01"), body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_unknown_learner_is_not_found(gw: httpx.Client) -> None:
    answer = _start(gw, dev_login(gw, "teacher-01"), {"learner_id": str(uuid.uuid4())})
    assert answer.status_code == 404, answer.text
    assert answer.json()["check"] == "object"


def test_an_unknown_attempt_is_not_found_for_every_role(gw: httpx.Client) -> None:
    for username in ("learner-01", "teacher-01", "admin-district"):
        answer = gw.get(f"/v1/attempts/{uuid.uuid4()}", headers=dev_login(gw, username))
        assert answer.status_code == 404, (username, answer.text)


def test_listing_attempts_names_the_learner_unless_district_wide(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-04")
    unnamed = gw.get("/v1/attempts", headers=teacher)
    assert unnamed.status_code == 422, unnamed.text
    assert unnamed.json()["type"].endswith("learner-required")
    not_hers = gw.get("/v1/attempts", params={"learner_id": str(LEARNER_01)}, headers=teacher)
    assert not_hers.status_code == 403, not_hers.text
    twice = gw.get("/v1/attempts", params=[("learner_id", str(LEARNER_31))] * 2, headers=teacher)
    assert twice.status_code == 422, twice.text
    hers = gw.get("/v1/attempts", params={"learner_id": str(LEARNER_31)}, headers=teacher)
    assert hers.status_code == 200, hers.text
    district = gw.get("/v1/attempts", headers=dev_login(gw, "admin-district"))
    assert district.status_code == 200, district.text
    mine = gw.get("/v1/attempts", headers=dev_login(gw, "learner-01"))
    assert mine.status_code == 200, mine.text
    assert {a["learner_id"] for a in mine.json()["items"]} <= {str(LEARNER_01)}
