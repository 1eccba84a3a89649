"""Update and (soft) delete of districts, schools, sessions and courses; the status filter; the
``learner.updated`` event. Each test works in a district of its own."""

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.models import outbox
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_shared.auth import Principal

OPS = make_principal(kind="system", subject="system:ops")


async def district_with_school(client: ServiceClient) -> tuple[uuid.UUID, uuid.UUID, Principal]:
    created = await client.post("/v1/districts", json={"name": "Crud"}, headers=client.as_(OPS))
    district = uuid.UUID(created.json()["id"])
    admin = make_principal(district, roles=["district_admin"])
    school = await client.post("/v1/schools", json={"name": "Oak"}, headers=client.as_(admin))
    assert school.status_code == 201, school.text
    return district, uuid.UUID(school.json()["id"]), admin


async def test_district_rename_and_retire(client: ServiceClient) -> None:
    district, _, admin = await district_with_school(client)
    renamed = await client.patch(
        f"/v1/districts/{district}", json={"name": "Crud Unified"}, headers=client.as_(admin)
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Crud Unified"
    # an admin may not retire the tenant, and another district's admin does not see it
    retire = await client.patch(
        f"/v1/districts/{district}", json={"status": "tobedeleted"}, headers=client.as_(admin)
    )
    assert retire.status_code == 403
    other = make_principal(DEMO_DISTRICT, roles=["district_admin"])
    hidden = await client.patch(
        f"/v1/districts/{district}", json={"name": "Mine"}, headers=client.as_(other)
    )
    assert hidden.status_code == 404
    assert (
        await client.delete(f"/v1/districts/{district}", headers=client.as_(admin))
    ).status_code == 403
    ops = make_principal(district, kind="system", subject="system:ops")
    deleted = await client.delete(f"/v1/districts/{district}", headers=client.as_(ops))
    assert deleted.status_code == 204
    read = await client.get(f"/v1/districts/{district}", headers=client.as_(admin))
    assert read.json()["status"] == "tobedeleted"


async def test_session_update_delete_and_status_filter(client: ServiceClient) -> None:
    _, _, admin = await district_with_school(client)
    headers = client.as_(admin)
    made = await client.post(
        "/v1/sessions",
        json={"title": "Fall", "type": "term", "start_date": "2026-08-20",
              "end_date": "2026-12-20"},
        headers=headers,
    )  # fmt: skip
    sid = made.json()["id"]
    moved = await client.patch(
        f"/v1/sessions/{sid}", json={"end_date": "2026-12-22", "title": "Fall term"},
        headers=headers,
    )  # fmt: skip
    assert moved.status_code == 200
    assert (moved.json()["end_date"], moved.json()["title"]) == ("2026-12-22", "Fall term")
    backwards = await client.patch(
        f"/v1/sessions/{sid}", json={"end_date": "2026-01-01"}, headers=headers
    )
    assert backwards.status_code == 422
    assert backwards.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(f"/v1/sessions/{sid}", headers=headers)).json()["end_date"] == (
        "2026-12-22"
    )
    nulled = await client.patch(f"/v1/sessions/{sid}", json={"title": None}, headers=headers)
    assert nulled.status_code == 422
    assert (await client.delete(f"/v1/sessions/{sid}", headers=headers)).status_code == 204
    gone = await client.get("/v1/sessions", params={"status": "tobedeleted"}, headers=headers)
    assert [s["id"] for s in gone.json()["items"]] == [sid]
    live = await client.get("/v1/sessions", params={"status": "active"}, headers=headers)
    assert live.json()["items"] == []
    bad = await client.get("/v1/sessions", params={"status": "gone"}, headers=headers)
    assert bad.status_code == 422


async def test_course_update_delete_and_school_admin_scope(client: ServiceClient) -> None:
    district, school, admin = await district_with_school(client)
    headers = client.as_(admin)
    course = await client.post(
        "/v1/courses", json={"title": "Math", "grades": ["03"], "school_id": str(school)},
        headers=headers,
    )  # fmt: skip
    cid = course.json()["id"]
    changed = await client.patch(
        f"/v1/courses/{cid}", json={"grades": ["03", "04"], "course_code": "M34"},
        headers=headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["grades"] == ["03", "04"] and changed.json()["course_code"] == "M34"
    unknown = await client.patch(f"/v1/courses/{cid}", json={"colour": "red"}, headers=headers)
    assert unknown.status_code == 422 and "body.colour" in unknown.text
    # a school admin of another school of the same district may not touch it
    elm = await client.post("/v1/schools", json={"name": "Elm"}, headers=headers)
    elm_admin = await client.post(
        "/v1/users",
        json={"username": "elm-admin", "given_name": "E", "family_name": "A",
              "roles": ["school_admin"], "school_ids": [elm.json()["id"]]},
        headers=headers,
    )  # fmt: skip
    as_elm = make_principal(
        district, roles=["school_admin"], user_id=uuid.UUID(elm_admin.json()["id"])
    )
    denied = await client.patch(
        f"/v1/courses/{cid}", json={"title": "Mine"}, headers=client.as_(as_elm)
    )
    assert denied.status_code == 403
    other = make_principal(DEMO_DISTRICT, roles=["district_admin"])
    assert (await client.delete(f"/v1/courses/{cid}", headers=client.as_(other))).status_code == 404
    assert (await client.delete(f"/v1/courses/{cid}", headers=headers)).status_code == 204
    read = await client.get(f"/v1/courses/{cid}", headers=headers)
    assert read.json()["status"] == "tobedeleted"


async def test_school_delete(client: ServiceClient) -> None:
    district, school, admin = await district_with_school(client)
    teacher = make_principal(district, roles=["teacher"])
    assert (
        await client.delete(f"/v1/schools/{school}", headers=client.as_(teacher))
    ).status_code == 403
    other = make_principal(DEMO_DISTRICT, roles=["district_admin"])
    assert (
        await client.delete(f"/v1/schools/{school}", headers=client.as_(other))
    ).status_code == 404
    assert (
        await client.delete(f"/v1/schools/{school}", headers=client.as_(admin))
    ).status_code == 204
    listed = await client.get(
        "/v1/schools", params={"status": "tobedeleted"}, headers=client.as_(admin)
    )
    assert [s["id"] for s in listed.json()["items"]] == [str(school)]


async def test_user_status_filter_and_learner_updated_event(client: ServiceClient) -> None:
    _, school, admin = await district_with_school(client)
    headers = client.as_(admin)
    ids: list[str] = []
    for name in ("ada", "bo", "cy"):
        made = await client.post(
            "/v1/users",
            json={"username": name, "given_name": name, "family_name": "L",
                  "roles": ["student"], "grade": "03", "school_ids": [str(school)]},
            headers=headers,
        )  # fmt: skip
        ids.append(made.json()["id"])
    patched = await client.patch(f"/v1/users/{ids[0]}", json={"grade": "04"}, headers=headers)
    assert patched.status_code == 200 and patched.json()["grade"] == "04"
    assert (await client.delete(f"/v1/users/{ids[1]}", headers=headers)).status_code == 204

    async def listed(**params: Any) -> list[str]:
        page = await client.get("/v1/users", params={"role": "student", **params}, headers=headers)
        assert page.status_code == 200, page.text
        return [u["id"] for u in page.json()["items"]]

    assert await listed(status="tobedeleted") == [ids[1]]
    assert await listed(status="active") == [ids[0], ids[2]]
    assert await listed(status="active", grade="04") == [ids[0]]
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(outbox.c.event_type, outbox.c.envelope)
            .where(outbox.c.subject == f"learner/{ids[0]}")
            .order_by(outbox.c.id)
        )
        events = [(t, e["data"]) for t, e in rows]
    assert events[0][0] == "learner.created"
    assert events[1] == ("learner.updated", {"learner_id": ids[0], "fields": ["grade"]})
    assert "accommodations" not in str(events)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/courses/{id}", {"grades": ["4th grade"]}),
        ("/v1/sessions/{id}", {"type": "quarter"}),
        ("/v1/sessions/{id}", {"school_year": 1200}),
        ("/v1/districts/{id}", {"name": ""}),
    ],
)
async def test_bad_updates_are_422(client: ServiceClient, path: str, body: dict[str, Any]) -> None:
    response = await client.patch(
        path.format(id=uuid.uuid4()),
        json=body,
        headers=client.as_(make_principal(DEMO_DISTRICT, roles=["district_admin"])),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"]
