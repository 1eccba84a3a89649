"""Ownership of shared content end to end, through the real gateway with the demo users.

teacher-01 (Riverside) writes an item, a skill check on it and an activity. teacher-02 (Riverside
too) may read and use them (start an attempt for her own student) but not change them; neither may
the admin of another school (Hillcrest, made here by the district admin). The author, the
Riverside school admin and the district admin may.
"""

import uuid
from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

HILLCREST = demo_id("school", "hillcrest-elementary")
RIVERSIDE = demo_id("school", "riverside-elementary")
# learner-11 is in teacher-02's grade 4 class and no other test's learner of choice.
TEACHER_02_LEARNER = demo_id("learner", "learner-11")
CHOICES = [{"id": "a", "text": "54"}, {"id": "b", "text": "56"}]


def item_body(stem: str) -> dict[str, Any]:
    return {"stem": stem, "skill_codes": ["3.OA.C.7"],
            "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"}}  # fmt: skip


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_not_owner(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://pathwise.dev/problems/not-content-owner"


def hillcrest_admin(gw: httpx.Client, district_admin: dict[str, str]) -> dict[str, str]:
    username = f"admin-hillcrest-{uuid.uuid4().hex[:8]}"
    made = gw.post("/v1/users", headers=district_admin, json={
        "username": username, "given_name": "Hal", "family_name": "Crest",
        "roles": ["school_admin"], "school_ids": [str(HILLCREST)],
    })  # fmt: skip
    assert made.status_code == 201, made.text
    return dev_login(gw, username)


def test_shared_content_is_changed_only_by_its_owners(gw: httpx.Client) -> None:
    teacher_01, teacher_02 = dev_login(gw, "teacher-01"), dev_login(gw, "teacher-02")
    riverside_admin = dev_login(gw, "admin-riverside-elementary")
    district_admin = dev_login(gw, "admin-district")
    other_school_admin = hillcrest_admin(gw, district_admin)

    item = created(gw.post("/v1/items", json=item_body("What is 8 × 7?"), headers=teacher_01))
    assert item["owner"]["school_id"] == str(RIVERSIDE)
    check = created(gw.post("/v1/assessments", headers=teacher_01, json={
        "kind": "skill_check", "title": "Times tables", "skill_codes": ["3.OA.C.7"],
        "item_ids": [item["id"]],
    }))  # fmt: skip
    activity = created(gw.post("/v1/activities", headers=teacher_01, json={
        "title": "Times table bingo", "format": "game", "difficulty": 2, "minutes": 15,
        "skill_codes": ["3.OA.C.7"],
    }))  # fmt: skip
    item_url, check_url = f"/v1/items/{item['id']}", f"/v1/assessments/{check['id']}"
    activity_url = f"/v1/activities/{activity['id']}"

    def change_all(headers: dict[str, str], tag: str) -> list[httpx.Response]:
        return [
            gw.put(item_url, json=item_body(f"What is 8 × 7? ({tag})"), headers=headers),
            gw.patch(check_url, json={"title": f"Times tables ({tag})"}, headers=headers),
            gw.patch(activity_url, json={"title": f"Bingo ({tag})"}, headers=headers),
        ]

    for outsider in (teacher_02, other_school_admin):
        for refused in change_all(outsider, "hijacked"):
            assert_not_owner(refused)
    # Nothing changed, and teacher-02 reads and uses all three.
    assert gw.get(item_url, headers=teacher_02).json()["version"] == 1
    assert gw.get(check_url, headers=teacher_02).json()["title"] == "Times tables"
    assert gw.get(activity_url, headers=teacher_02).json()["title"] == "Times table bingo"
    attempt = created(gw.post(f"{check_url}/attempts", headers=teacher_02,
                              json={"learner_id": str(TEACHER_02_LEARNER)}))  # fmt: skip
    assert [i["item_id"] for i in attempt["items"]] == [item["id"]]

    for editor, tag in ((teacher_01, "author"), (riverside_admin, "school admin"),
                        (district_admin, "district admin")):  # fmt: skip
        for done in change_all(editor, tag):
            assert done.status_code == 200, (tag, done.text)
    assert gw.get(check_url, headers=teacher_02).json()["title"] == "Times tables (district admin)"
    assert gw.get(item_url, headers=teacher_02).json()["version"] == 4
    # The author stays the owner through every edit.
    for url in (item_url, check_url, activity_url):
        assert gw.get(url, headers=teacher_02).json()["owner"]["id"] == item["owner"]["id"]
