"""Ownership of items and assessments through the API: everyone in the district uses them, only
the author, an admin of the author's school, a district admin or a write-scope client change them.
Real profiles app in process: schools come from the demo roster (docs/assessment.md, "Ownership").
"""

from typing import Any

import pytest

from pathwise_assessment.seed import DEMO_DISTRICT, OWNER, check_id, item_id
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_devstack.profiles_fixtures import HILLCREST_ADMIN, OTHER_DISTRICT, as_user, learner
from pathwise_devstack.testing import TEST_SECRET, ServiceClient, make_principal
from pathwise_profiles.seed import HILLCREST, RIVERSIDE
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.http import create_http_client
from pathwise_shared.problems import ServiceUnavailable

TEACHER_01 = as_user("teacher-01", "teacher")
TEACHER_02 = as_user("teacher-02", "teacher")  # same school (Riverside)
TEACHER_04 = as_user("teacher-04", "teacher")  # Hillcrest
RIVERSIDE_ADMIN = as_user("admin-riverside-elementary", "school_admin")
HILLCREST_ADMIN_P = as_user(HILLCREST_ADMIN, "school_admin")
DISTRICT_ADMIN = as_user("admin-district", "district_admin")
WRITER = make_principal(
    DEMO_DISTRICT, kind="client", subject="client:lms", scopes=["assessment:write"]
)
OUTSIDER = make_principal(OTHER_DISTRICT, roles=["district_admin"])
CHOICES = [{"id": "a", "text": "54"}, {"id": "b", "text": "56"}]


def item_body(stem: str = "What is 8 × 7?") -> dict[str, object]:
    return {
        "stem": stem,
        "skill_codes": ["3.OA.C.7"],
        "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"},
    }


async def create_item(api: ServiceClient, author: Principal) -> dict[str, Any]:
    made = await api.post("/v1/items", json=item_body(), headers=api.as_(author))
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def assert_not_owner(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://pathwise.dev/problems/not-content-owner"


async def test_item_owner_and_who_may_edit(api: ServiceClient) -> None:
    item = await create_item(api, TEACHER_01)
    assert item["owner"] == {"id": TEACHER_01.subject, "school_id": str(RIVERSIDE)}
    url = f"/v1/items/{item['id']}"
    # A colleague of the same school, a teacher and the school admin of another school: 403,
    # and the answer key is unchanged.
    for other in (TEACHER_02, TEACHER_04, HILLCREST_ADMIN_P):
        assert_not_owner(await api.put(url, json=item_body("changed"), headers=api.as_(other)))
    # They may still read it (staff) …
    read = await api.get(url, headers=api.as_(TEACHER_02))
    assert read.status_code == 200 and read.json()["version"] == 1
    # … and another district does not even see it.
    assert (await api.put(url, json=item_body(), headers=api.as_(OUTSIDER))).status_code == 404
    version = 1
    for editor in (TEACHER_01, RIVERSIDE_ADMIN, DISTRICT_ADMIN, WRITER):
        edited = await api.put(url, json=item_body(f"by {editor.subject}"), headers=api.as_(editor))
        version += 1
        assert edited.status_code == 200, (editor, edited.text)
        assert edited.json()["version"] == version
        # Editing never hands the item over.
        assert edited.json()["owner"]["id"] == TEACHER_01.subject


async def test_content_without_a_school_is_for_district_admins(api: ServiceClient) -> None:
    by_admin = await create_item(api, DISTRICT_ADMIN)
    assert by_admin["owner"] == {"id": DISTRICT_ADMIN.subject, "school_id": None}
    by_client = await create_item(api, WRITER)
    assert by_client["owner"] == {"id": "client:lms", "school_id": None}
    for item in (by_admin, by_client):
        url = f"/v1/items/{item['id']}"
        for other in (TEACHER_01, RIVERSIDE_ADMIN):
            assert_not_owner(await api.put(url, json=item_body(), headers=api.as_(other)))
        assert (
            await api.put(url, json=item_body(), headers=api.as_(DISTRICT_ADMIN))
        ).status_code == 200
    # The demo bank is the district's: the seed made the district admin its owner.
    seeded = await api.get(f"/v1/items/{item_id('3.OA.C.7', 1)}", headers=api.as_(TEACHER_01))
    assert seeded.json()["owner"] == {"id": OWNER, "school_id": None}
    assert_not_owner(
        await api.patch(
            f"/v1/assessments/{check_id('3.OA.C.7')}",
            json={"title": "Mine now"},
            headers=api.as_(TEACHER_01),
        )
    )


async def test_assessment_owner_edit_and_use(api: ServiceClient) -> None:
    item = await create_item(api, TEACHER_01)
    made = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER_01),
        json={
            "kind": "skill_check",
            "title": "Times tables",
            "skill_codes": ["3.OA.C.7"],
            "item_ids": [item["id"]],
        },
    )
    assert made.status_code == 201, made.text
    assessment = made.json()
    assert assessment["owner"] == {"id": TEACHER_01.subject, "school_id": str(RIVERSIDE)}
    url = f"/v1/assessments/{assessment['id']}"
    for other in (TEACHER_02, HILLCREST_ADMIN_P):
        assert_not_owner(await api.patch(url, json={"title": "Renamed"}, headers=api.as_(other)))
    # teacher-02 uses it for her own student (learner-11 is in her grade 4 class).
    started = await api.post(
        f"{url}/attempts", json={"learner_id": str(learner(11))}, headers=api.as_(TEACHER_02)
    )
    assert started.status_code == 201, started.text
    renamed = await api.patch(
        url, json={"title": "Renamed", "time_limit_seconds": 600}, headers=api.as_(RIVERSIDE_ADMIN)
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Renamed" and renamed.json()["time_limit_seconds"] == 600
    assert (await api.get(url, headers=api.as_(TEACHER_02))).json()["title"] == "Renamed"
    # Bad input from the owner is a 422 problem; nothing changes.
    for bad in (
        {"title": None},
        {"title": ""},
        {"max_items": 5},
        {"kind": "adaptive"},
        {"time_limit_seconds": 5},
    ):
        refused = await api.patch(url, json=bad, headers=api.as_(TEACHER_01))
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
    unlimited = await api.patch(url, json={"time_limit_seconds": None}, headers=api.as_(TEACHER_01))
    assert unlimited.status_code == 200 and unlimited.json()["time_limit_seconds"] is None
    assert (await api.patch(url, json={"title": "x"}, headers=api.as_(OUTSIDER))).status_code == 404


async def test_hillcrest_content_belongs_to_hillcrest(api: ServiceClient) -> None:
    item = await create_item(api, TEACHER_04)
    assert item["owner"]["school_id"] == str(HILLCREST)
    url = f"/v1/items/{item['id']}"
    assert_not_owner(await api.put(url, json=item_body(), headers=api.as_(RIVERSIDE_ADMIN)))
    ok = await api.put(url, json=item_body(), headers=api.as_(HILLCREST_ADMIN_P))
    assert ok.status_code == 200, ok.text


async def test_ownership_needs_profiles() -> None:
    """With profiles down, an author's school cannot be known: a 503 problem, never a guess."""
    down = create_http_client("http://127.0.0.1:9", timeout=1.0, retries=0)
    caller = ServiceCaller("profiles", down, TEST_SECRET)
    try:
        upstreams = Upstreams(profiles=caller, pathways=caller)
        with pytest.raises(ServiceUnavailable) as raised:
            await upstreams.school_ids(TEACHER_01)
        assert raised.value.type.endswith("/profiles-unavailable")
    finally:
        await down.aclose()
