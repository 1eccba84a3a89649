"""Ownership of activities and frameworks through the API: everyone in the district uses them,
only the author, an admin of the author's school, a district admin or a write-scope client change
them. Real profiles app in process: schools come from the demo roster (docs/pathways.md)."""

from typing import Any

from pathwise_devstack.profiles_fixtures import HILLCREST_ADMIN, OTHER_DISTRICT, as_learner, as_user
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.seed import DEMO_DISTRICT, HILLCREST, RIVERSIDE
from pathwise_shared.auth import Principal

TEACHER_01 = as_user("teacher-01", "teacher")
TEACHER_02 = as_user("teacher-02", "teacher")  # same school (Riverside)
TEACHER_04 = as_user("teacher-04", "teacher")  # Hillcrest
RIVERSIDE_ADMIN = as_user("admin-riverside-elementary", "school_admin")
HILLCREST_ADMIN_P = as_user(HILLCREST_ADMIN, "school_admin")
DISTRICT_ADMIN = as_user("admin-district", "district_admin")
WRITER = make_principal(
    DEMO_DISTRICT, kind="client", subject="client:lms", scopes=["pathways:write"]
)
OUTSIDER = make_principal(OTHER_DISTRICT, roles=["district_admin"])
ACTIVITY = {
    "title": "Fraction strips",
    "format": "hands_on",
    "difficulty": 2,
    "minutes": 20,
    "skill_codes": ["3.NF.A.1"],
}


def assert_not_owner(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://pathwise.dev/problems/not-content-owner"


async def create_activity(client: ServiceClient, author: Principal) -> dict[str, Any]:
    made = await client.post("/v1/activities", json=ACTIVITY, headers=client.as_(author))
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def test_activity_owner_and_who_may_change_it(client: ServiceClient) -> None:
    activity = await create_activity(client, TEACHER_01)
    assert activity["owner"] == {"id": TEACHER_01.subject, "school_id": str(RIVERSIDE)}
    url = f"/v1/activities/{activity['id']}"
    for other in (TEACHER_02, TEACHER_04, HILLCREST_ADMIN_P):
        assert_not_owner(await client.patch(url, json={"title": "Mine"}, headers=client.as_(other)))
        assert_not_owner(await client.delete(url, headers=client.as_(other)))
    # Everyone in the district still reads (and so plans with) it, unchanged.
    for reader in (TEACHER_02, as_learner(12)):
        read = await client.get(url, headers=client.as_(reader))
        assert read.status_code == 200 and read.json()["title"] == "Fraction strips"
    assert (
        await client.patch(url, json={"title": "x"}, headers=client.as_(OUTSIDER))
    ).status_code == 404
    for n, editor in enumerate((TEACHER_01, RIVERSIDE_ADMIN, DISTRICT_ADMIN, WRITER)):
        changed = await client.patch(url, json={"minutes": 21 + n}, headers=client.as_(editor))
        assert changed.status_code == 200, (editor, changed.text)
        assert changed.json()["minutes"] == 21 + n
        assert changed.json()["owner"]["id"] == TEACHER_01.subject
    assert (await client.delete(url, headers=client.as_(RIVERSIDE_ADMIN))).status_code == 204


async def test_bulk_import_owner_and_hillcrest(client: ServiceClient) -> None:
    made = await client.post(
        "/v1/activities/bulk",
        json={"activities": [ACTIVITY, ACTIVITY]},
        headers=client.as_(TEACHER_04),
    )
    assert made.status_code == 201, made.text
    assert {a["owner"]["school_id"] for a in made.json()} == {str(HILLCREST)}
    url = f"/v1/activities/{made.json()[0]['id']}"
    assert_not_owner(await client.delete(url, headers=client.as_(RIVERSIDE_ADMIN)))
    assert (await client.delete(url, headers=client.as_(HILLCREST_ADMIN_P))).status_code == 204


async def test_district_wide_activity_is_for_district_admins(client: ServiceClient) -> None:
    activity = await create_activity(client, WRITER)
    assert activity["owner"] == {"id": "client:lms", "school_id": None}
    url = f"/v1/activities/{activity['id']}"
    for other in (TEACHER_01, RIVERSIDE_ADMIN):
        assert_not_owner(await client.patch(url, json={"title": "x"}, headers=client.as_(other)))
    done = await client.patch(url, json={"title": "x"}, headers=client.as_(DISTRICT_ADMIN))
    assert done.status_code == 200


async def test_framework_owner_and_who_may_extend_it(client: ServiceClient) -> None:
    made = await client.post(
        "/v1/frameworks",
        json={"key": "riverside-numeracy", "title": "Riverside numeracy", "subject": "math"},
        headers=client.as_(RIVERSIDE_ADMIN),
    )
    assert made.status_code == 201, made.text
    framework = made.json()
    assert framework["owner"] == {"id": RIVERSIDE_ADMIN.subject, "school_id": str(RIVERSIDE)}
    skills_url = f"/v1/frameworks/{framework['id']}/skills"
    edges_url = f"/v1/frameworks/{framework['id']}/edges"

    def skill(code: str) -> dict[str, Any]:
        return {"skills": [{"code": code, "title": code}]}

    assert_not_owner(
        await client.post(skills_url, json=skill("RN.1"), headers=client.as_(HILLCREST_ADMIN_P))
    )
    for n, editor in enumerate((RIVERSIDE_ADMIN, DISTRICT_ADMIN, WRITER), start=1):
        added = await client.post(skills_url, json=skill(f"RN.{n}"), headers=client.as_(editor))
        assert added.status_code == 200, (editor, added.text)
    edge = {"edges": [{"source": "RN.1", "target": "RN.2", "kind": "prerequisite"}]}
    assert_not_owner(await client.post(edges_url, json=edge, headers=client.as_(HILLCREST_ADMIN_P)))
    linked = await client.post(edges_url, json=edge, headers=client.as_(DISTRICT_ADMIN))
    assert linked.status_code == 200, linked.text
    # A teacher reads it (and the skills now count as known) but never edits frameworks.
    assert (
        await client.get(f"/v1/frameworks/{framework['id']}", headers=client.as_(TEACHER_01))
    ).json()["owner"]["school_id"] == str(RIVERSIDE)


async def test_case_import_is_owned_by_the_importer(
    client: ServiceClient, case_package: dict[str, Any]
) -> None:
    made = await client.post(
        "/v1/frameworks/imports/case",
        json={**case_package, "key": "own-case"},
        headers=client.as_(HILLCREST_ADMIN_P),
    )
    assert made.status_code == 201, made.text
    assert made.json()["owner"] == {"id": HILLCREST_ADMIN_P.subject, "school_id": str(HILLCREST)}
    url = f"/v1/frameworks/{made.json()['id']}/skills"
    body = {"skills": [{"code": "RNS.9", "title": "More"}]}
    assert_not_owner(await client.post(url, json=body, headers=client.as_(RIVERSIDE_ADMIN)))
    # Importing the same document again is a re-import of the owner's framework, not a way to
    # take it over: another school's admin is refused as on any change of it...
    assert_not_owner(
        await client.post(
            "/v1/frameworks/imports/case",
            json={**case_package, "key": "own-case"},
            headers=client.as_(RIVERSIDE_ADMIN),
        )
    )
    # ... and a district admin's re-import of an undated package changes nothing (it needs the
    # document's lastChangeDateTime to replace it); the owner stays.
    again = await client.post(
        "/v1/frameworks/imports/case",
        json={**case_package, "key": "own-case"},
        headers=client.as_(DISTRICT_ADMIN),
    )
    assert again.status_code == 422 and again.json()["type"].endswith("/invalid-case-package")
    kept = await client.get(f"/v1/frameworks/{made.json()['id']}", headers=client.as_(TEACHER_01))
    assert kept.status_code == 200
    assert kept.json()["owner"] == {"id": HILLCREST_ADMIN_P.subject, "school_id": str(HILLCREST)}
