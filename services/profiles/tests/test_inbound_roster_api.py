"""``POST /internal/roster/changes``: what the gateway forwards from a district's signed SIS hook."""

import uuid
from typing import Any

from sqlalchemy import select

from pathwise_devstack import testing as devstack_testing
from pathwise_devstack.testing import ServiceClient, make_principal, service_client
from pathwise_profiles.app import create_app
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.models import outbox
from pathwise_profiles.oneroster_samples import BASE, zipped
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_profiles.settings import ProfilesSettings


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


def student(sid: str) -> dict[str, Any]:
    return {
        "sourcedId": sid, "status": "active", "username": sid, "givenName": "Kit",
        "familyName": sid, "enabledUser": True, "grades": ["04"],
        "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "s1"}}],
    }  # fmt: skip


def deleted(*sids: str) -> list[dict[str, Any]]:
    return [{"sourcedId": sid, "status": "tobedeleted"} for sid in sids]


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


async def test_a_batch_deleting_every_demo_student_is_refused_whole(client: ServiceClient) -> None:
    # The finding of issue 15: pushed as a delta, every student of the demo district marked
    # tobedeleted (a quarter of its roster, but all of its students).
    demo_admin = client.as_(make_principal(DEMO_DISTRICT, roles=["district_admin"]))
    page = await client.get(
        "/v1/users", params={"role": "student", "limit": 200}, headers=demo_admin
    )
    active = [u for u in page.json()["items"] if u["status"] == "active"]
    # A student another test of this database made through the API has no sourced id: a
    # district's system cannot name it, so the batch deletes all the others.
    students = [u["sourced_id"] for u in active if u["sourced_id"]]
    assert len(students) >= 33, page.text
    body = {
        "users": deleted(*students),
        # with a good record besides: the batch is refused whole, not record by record
        "classes": [],
        "enrollments": [],
    }
    body["users"].append(student("inbound-new-kid"))
    before = await _roster_events(client)
    refused = await client.post(
        "/internal/roster/changes", json=body, headers=hook(client, DEMO_DISTRICT)
    )
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "https://pathwise.dev/problems/mass-change-refused"
    assert problem["tripped"] == ["users:student"]
    share = f"{len(students)} of {len(active)} active students ("
    assert share in problem["detail"] and "; the limit is 20%)" in problem["detail"]
    assert '"force": true' in problem["detail"]
    kind = problem["guard"]["kinds"]["users:student"]
    assert (kind["deleted"], kind["created"], kind["tripped"]) == (len(students), 1, True)
    # Nothing was written: not the deletes, not the good record, no event.
    after = await client.get(
        "/v1/users", params={"role": "student", "limit": 200}, headers=demo_admin
    )
    still = [u["id"] for u in after.json()["items"] if u["status"] == "active"]
    assert sorted(still) == sorted(u["id"] for u in active)
    assert await _roster_events(client) == before
    assert "inbound-new-kid" not in {u["sourced_id"] for u in after.json()["items"]}


async def _roster_events(client: ServiceClient) -> int:
    """The demo district's learner.created and learner.deleted events in the outbox (other
    tests of this database may have written some before)."""
    async with client.app.state.db.session() as session:
        return len(
            (
                await session.execute(
                    select(outbox.c.id).where(
                        outbox.c.district_id == DEMO_DISTRICT,
                        outbox.c.event_type.in_(("learner.deleted", "learner.created")),
                    )
                )
            ).all()
        )


async def test_the_guard_weighs_a_batch_against_the_whole_district(client: ServiceClient) -> None:
    district = await district_with_roster(client)  # 3 students
    grow = {"users": [student(f"st-n{i}") for i in range(17)]}  # creates are never weighed
    grown = await client.post("/internal/roster/changes", json=grow, headers=hook(client, district))
    assert grown.status_code == 200, grown.text
    assert grown.json()["guard"]["kinds"]["users:student"]["created"] == 17

    # 3 of 20 students (15 %): under the 20 % limit, applied, though the batch names only them.
    small = {"users": deleted("st-n0", "st-n1", "st-n2")}
    passed = await client.post(
        "/internal/roster/changes", json=small, headers=hook(client, district)
    )
    assert passed.status_code == 200, passed.text
    kinds = passed.json()["guard"]["kinds"]
    assert (kinds["users:student"]["active"], kinds["users:student"]["deleted"]) == (20, 3)
    assert passed.json()["guard"]["tripped"] == []
    assert (await user_by_sid(client, district, "st-n0"))["status"] == "tobedeleted"

    # 4 of the 17 left (24 %): refused, nothing written.
    big = {"users": deleted("st-n3", "st-n4", "st-n5", "st-n6")}
    refused = await client.post(
        "/internal/roster/changes", json=big, headers=hook(client, district)
    )
    assert refused.status_code == 409, refused.text
    assert "4 of 17 active students (24%; the limit is 20%)" in refused.json()["detail"]
    assert (await user_by_sid(client, district, "st-n3"))["status"] == "active"

    # The same batch with force is applied, and its answer still shows what the guard saw.
    forced = await client.post(
        "/internal/roster/changes", json={**big, "force": True}, headers=hook(client, district)
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["applied"] == 4
    assert forced.json()["guard"]["tripped"] == ["users:student"]
    assert (await user_by_sid(client, district, "st-n3"))["status"] == "tobedeleted"


async def test_the_guard_limits_of_the_settings_apply_to_batches(
    client: ServiceClient, test_db: devstack_testing.TestDatabase
) -> None:
    settings = ProfilesSettings(
        database_url=test_db.url, environment="test",
        import_guard_max_share={"users:student": 0.5}, import_guard_min_rows=1,
    )  # fmt: skip
    async with service_client(create_app, settings, MIGRATIONS) as strict_client:
        district = await district_with_roster(strict_client)
        # 2 of 3 students: under the default min_rows (3), over this service's 50 % and 1 row.
        refused = await strict_client.post(
            "/internal/roster/changes",
            json={"users": deleted("st-1", "st-2")},
            headers=hook(strict_client, district),
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["guard"]["min_rows"] == 1
        assert refused.json()["guard"]["kinds"]["users:student"]["max_share"] == 0.5
    # The same batch under the default limits (the suite's app) is applied.
    passed = await client.post(
        "/internal/roster/changes",
        json={"users": deleted("st-1", "st-2")},
        headers=hook(client, district),
    )
    assert passed.status_code == 200, passed.text


async def test_force_is_not_a_way_in_for_other_principals(client: ServiceClient) -> None:
    district = await district_with_roster(client)
    admin = client.as_(make_principal(district, roles=["district_admin"]))
    denied = await client.post(
        "/internal/roster/changes",
        json={"users": deleted("st-1", "st-2", "st-3"), "force": True},
        headers=admin,
    )
    assert denied.status_code == 403
    assert (await user_by_sid(client, district, "st-1"))["status"] == "active"
