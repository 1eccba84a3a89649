"""``POST /internal/roster/changes``: what the gateway forwards from a district's signed SIS hook."""

import uuid
from typing import Any

from sqlalchemy import select

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.models import outbox
from pathwise_profiles.oneroster_samples import BASE, zipped


def hook(client: ServiceClient, district: uuid.UUID) -> dict[str, str]:
    """What the gateway sends: the system principal of the district."""
    return client.as_(make_principal(district, kind="system", subject="system:roster-hook"))


async def district_with_roster(client: ServiceClient) -> uuid.UUID:
    system = client.as_(make_principal(kind="system", subject="system:test"))
    created = await client.post("/v1/districts", json={"name": "Inbound"}, headers=system)
    district = uuid.UUID(created.json()["id"])
    admin = client.as_(make_principal(district, roles=["district_admin"]))
    job = await client.post(
        "/v1/roster/imports",
        files={"file": ("r.zip", zipped(BASE), "application/zip")},
        headers=admin,
    )
    assert job.status_code == 202, job.text
    done = await client.get(f"/v1/roster/imports/{job.json()['id']}", headers=admin)
    assert done.json()["state"] == "succeeded"
    return district


async def user_by_sid(client: ServiceClient, district: uuid.UUID, sid: str) -> dict[str, Any]:
    admin = client.as_(make_principal(district, roles=["district_admin"]))
    page = await client.get("/v1/users", params={"limit": 200}, headers=admin)
    (found,) = [u for u in page.json()["items"] if u["sourced_id"] == sid]
    return dict(found)


async def test_changes_are_applied_like_an_import(client: ServiceClient) -> None:
    district = await district_with_roster(client)
    body = {
        "users": [
            {"sourcedId": "st-9", "status": "active", "username": "nia.r", "givenName": "Nia",
             "familyName": "Roy", "enabledUser": True, "grades": ["04"],
             "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "s1"}}]},
            {"sourcedId": "st-2", "status": "tobedeleted"},
            {"sourcedId": "st-10", "givenName": "No", "familyName": "Username", "role": "student"},
        ],
        "classes": [
            {"sourcedId": "k-4b", "title": "Math 4B (room 9)", "grades": ["04"],
             "classCode": "4B", "course": {"sourcedId": "c-math4"},
             "school": {"sourcedId": "s1"}, "terms": [{"sourcedId": "t1"}]},
        ],
        "enrollments": [
            {"sourcedId": "e9", "role": "student", "primary": False,
             "class": {"sourcedId": "k-4b"}, "user": {"sourcedId": "st-9"}},
        ],
    }  # fmt: skip
    response = await client.post(
        "/internal/roster/changes", json=body, headers=hook(client, district)
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["applied"] == 4
    assert result["diff"]["users"] == {"created": 1, "updated": 0, "deleted": 1, "unchanged": 0}
    assert result["diff"]["classes"]["updated"] == 1
    assert [(e["file"], e["line"], e["field"]) for e in result["errors"]] == [
        ("users", 3, "username")
    ]
    nia = await user_by_sid(client, district, "st-9")
    assert nia["roles"] == ["student"] and nia["grade"] == "04" and len(nia["school_ids"]) == 1
    assert (await user_by_sid(client, district, "st-2"))["status"] == "tobedeleted"
    async with client.app.state.db.session() as session:
        types = set(
            (
                await session.execute(
                    select(outbox.c.event_type).where(outbox.c.subject == f"learner/{nia['id']}")
                )
            ).scalars()
        )
    assert types == {"learner.created"}
    again = await client.post("/internal/roster/changes", json=body, headers=hook(client, district))
    assert again.json()["applied"] == 0


async def test_a_class_of_another_district_is_not_found(client: ServiceClient) -> None:
    district = await district_with_roster(client)
    body = {
        "enrollments": [
            # lk-4 is a class of the Lakeside district (see pathwise_devstack.profiles_fixtures)
            {"sourcedId": "e-x", "role": "student", "class": {"sourcedId": "lk-4"},
             "user": {"sourcedId": "st-1"}},
        ]
    }  # fmt: skip
    response = await client.post(
        "/internal/roster/changes", json=body, headers=hook(client, district)
    )
    assert response.status_code == 200
    assert response.json()["applied"] == 0
    assert [e["field"] for e in response.json()["errors"]] == ["classSourcedId"]


async def test_only_system_principals_with_a_district_push_rosters(client: ServiceClient) -> None:
    district = await district_with_roster(client)
    admin = client.as_(make_principal(district, roles=["district_admin"]))
    denied = await client.post("/internal/roster/changes", json={"users": []}, headers=admin)
    assert denied.status_code == 403
    anonymous = await client.post("/internal/roster/changes", json={"users": []})
    assert anonymous.status_code == 401
    unknown = await client.post(
        "/internal/roster/changes", json={"orgs": []}, headers=hook(client, district)
    )
    assert unknown.status_code == 422 and "body.orgs" in unknown.text
    not_list = await client.post(
        "/internal/roster/changes", json={"users": "everyone"}, headers=hook(client, district)
    )
    assert not_list.status_code == 422
    garbage = await client.post(
        "/internal/roster/changes", json={"users": [1, None]}, headers=hook(client, district)
    )
    assert garbage.status_code == 422
