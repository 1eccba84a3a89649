"""The activity catalogue: CRUD, bulk import, alignment to known skills, district scoping."""

import uuid

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.auth import Principal

VIDEO = {
    "title": "Fractions on a number line",
    "format": "video",
    "difficulty": 2,
    "minutes": 12,
    "languages": ["en", "es"],
    "accessibility": ["captions"],
    "interest_tags": ["space"],
    "url": "https://example.org/fractions",
    "skill_codes": ["3.NF.A.2"],
}


async def test_activity_crud(client: ServiceClient, teacher: Principal, student: Principal) -> None:
    created = await client.post("/v1/activities", json=VIDEO, headers=client.as_(teacher))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    listed = await client.get("/v1/activities?skill_code=3.NF.A.2", headers=client.as_(student))
    assert [a["id"] for a in listed.json()["items"]] == [aid]
    patched = await client.patch(
        f"/v1/activities/{aid}",
        json={"minutes": 15, "skill_codes": ["3.NF.A.2", "3.NF.A.2.a"]},
        headers=client.as_(teacher),
    )
    assert patched.status_code == 200 and patched.json()["minutes"] == 15
    by_sub = await client.get("/v1/activities?skill_code=3.NF.A.2.a", headers=client.as_(student))
    assert [a["id"] for a in by_sub.json()["items"]] == [aid]
    by_student = await client.patch(
        f"/v1/activities/{aid}", json={"minutes": 1}, headers=client.as_(student)
    )
    assert by_student.status_code == 403
    other = make_principal(uuid.uuid4(), roles=["teacher"])
    assert (await client.get(f"/v1/activities/{aid}", headers=client.as_(other))).status_code == 404
    deleted = await client.delete(f"/v1/activities/{aid}", headers=client.as_(teacher))
    assert deleted.status_code == 204
    gone = await client.get(f"/v1/activities/{aid}", headers=client.as_(teacher))
    assert gone.status_code == 404


async def test_activity_bad_input(client: ServiceClient, teacher: Principal) -> None:
    unknown = await client.post(
        "/v1/activities", json={**VIDEO, "skill_codes": ["3.NF.Q.9"]}, headers=client.as_(teacher)
    )
    assert unknown.status_code == 422 and unknown.json()["codes"] == ["3.NF.Q.9"]
    for bad in (
        {**VIDEO, "format": "podcast"},
        {**VIDEO, "difficulty": 9},
        {**VIDEO, "skill_codes": []},
        {**VIDEO, "url": "javascript:alert(1)"},
        {**VIDEO, "surprise": True},
    ):
        response = await client.post("/v1/activities", json=bad, headers=client.as_(teacher))
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
    created = await client.post("/v1/activities", json=VIDEO, headers=client.as_(teacher))
    nulled = await client.patch(
        f"/v1/activities/{created.json()['id']}", json={"title": None}, headers=client.as_(teacher)
    )
    assert nulled.status_code == 422


async def test_bulk_import_is_all_or_nothing(client: ServiceClient, teacher: Principal) -> None:
    district = teacher.district_id
    good = [{**VIDEO, "title": f"Bulk {n}", "skill_codes": ["4.NF.A.1"]} for n in range(3)]
    refused = await client.post(
        "/v1/activities/bulk",
        json={"activities": [*good, {**VIDEO, "skill_codes": ["nope.1"]}]},
        headers=client.as_(teacher),
    )
    assert refused.status_code == 422
    listed = await client.get("/v1/activities?skill_code=4.NF.A.1", headers=client.as_(teacher))
    assert listed.json()["items"] == []
    done = await client.post(
        "/v1/activities/bulk", json={"activities": good}, headers=client.as_(teacher)
    )
    assert done.status_code == 201 and len(done.json()) == 3
    listed = await client.get("/v1/activities?skill_code=4.NF.A.1", headers=client.as_(teacher))
    assert len(listed.json()["items"]) == 3
    assert district is not None
