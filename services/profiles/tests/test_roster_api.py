"""Roster CRUD through the API: pagination, filters, district scoping, bad input, events."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from pathwise_devstack.profiles_fixtures import (
    HILLCREST_ADMIN,
    OTHER_CLASS,
    OTHER_DISTRICT,
    OTHER_LEARNER,
    as_learner,
    as_user,
    learner,
)
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.models import outbox
from pathwise_profiles.seed import DEMO_DISTRICT, HILLCREST, RIVERSIDE
from pathwise_shared.calls import system_principal
from pathwise_shared.demo import demo_id
from pathwise_shared.problem_types import PROBLEM_TYPE_BASE, lookup, slug_of
from pathwise_shared.timeutil import utcnow

DISTRICT_ADMIN = as_user("admin-district", "district_admin")
SCHOOL_ADMIN = as_user("admin-riverside-elementary", "school_admin")
TEACHER = as_user("teacher-02", "teacher")
GRADE4 = demo_id("class", "grade4-math")


async def _events(client: ServiceClient, subject: str) -> list[str]:
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(outbox.c.event_type).where(outbox.c.subject == subject).order_by(outbox.c.id)
        )
        return list(rows.scalars())


async def test_list_users_pages_with_keyset_and_filters(client: ServiceClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"role": "student", "grade": "03", "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = await client.get("/v1/users", params=params, headers=client.as_(DISTRICT_ADMIN))
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [u["id"] for u in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(learner(n)) for n in range(1, 11))
    assert len(seen) == len(set(seen))


async def test_list_users_by_class_and_school_admin_scope(client: ServiceClient) -> None:
    by_class = await client.get(
        "/v1/users", params={"class_id": str(GRADE4), "role": "student", "limit": 50},
        headers=client.as_(DISTRICT_ADMIN),
    )  # fmt: skip
    assert {u["id"] for u in by_class.json()["items"]} == {str(learner(n)) for n in range(11, 21)}
    hill = await client.get(
        "/v1/users",
        params={"role": "student", "limit": 200},
        headers=client.as_(as_user(HILLCREST_ADMIN, "school_admin")),
    )
    assert {u["id"] for u in hill.json()["items"]} == {str(learner(n)) for n in range(31, 34)}


async def test_modified_since_filter(client: ServiceClient) -> None:
    future = (utcnow() + timedelta(days=1)).isoformat()
    response = await client.get(
        "/v1/schools", params={"modified_since": future}, headers=client.as_(DISTRICT_ADMIN)
    )
    assert response.status_code == 200 and response.json()["items"] == []
    everything = await client.get("/v1/schools", headers=client.as_(DISTRICT_ADMIN))
    assert {s["id"] for s in everything.json()["items"]} == {str(RIVERSIDE), str(HILLCREST)}


async def test_create_student_makes_a_profile_and_an_event(client: ServiceClient) -> None:
    body = {
        "username": "new-student-1", "given_name": "Ada", "family_name": "Byron",
        "roles": ["student"], "grade": "04", "school_ids": [str(RIVERSIDE)],
    }  # fmt: skip
    created = await client.post("/v1/users", json=body, headers=client.as_(SCHOOL_ADMIN))
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert uuid.UUID(user_id).version == 7
    profile = await client.get(
        f"/internal/learners/{user_id}/planning-profile", headers=client.as_(DISTRICT_ADMIN)
    )
    assert profile.status_code == 200
    assert await _events(client, f"learner/{user_id}") == ["learner.created"]
    again = await client.post("/v1/users", json=body, headers=client.as_(SCHOOL_ADMIN))
    assert again.status_code == 409
    deleted = await client.delete(f"/v1/users/{user_id}", headers=client.as_(DISTRICT_ADMIN))
    assert deleted.status_code == 204
    assert await _events(client, f"learner/{user_id}") == ["learner.created", "learner.deleted"]
    read = await client.get(f"/v1/users/{user_id}", headers=client.as_(DISTRICT_ADMIN))
    assert read.json()["status"] == "tobedeleted"


async def test_school_admin_cannot_create_in_another_school(client: ServiceClient) -> None:
    body = {
        "username": "x-1",
        "given_name": "X",
        "family_name": "Y",
        "roles": ["teacher"],
        "school_ids": [str(HILLCREST)],
    }
    response = await client.post("/v1/users", json=body, headers=client.as_(SCHOOL_ADMIN))
    assert response.status_code == 403


async def test_enrollment_lifecycle_and_events(client: ServiceClient) -> None:
    student = await client.post(
        "/v1/users",
        json={
            "username": "enrollee",
            "given_name": "E",
            "family_name": "N",
            "roles": ["student"],
            "school_ids": [str(RIVERSIDE)],
        },
        headers=client.as_(DISTRICT_ADMIN),
    )
    sid = student.json()["id"]
    enrolled = await client.post(
        f"/v1/classes/{GRADE4}/enrollments", json={"user_id": sid, "role": "student"},
        headers=client.as_(SCHOOL_ADMIN),
    )  # fmt: skip
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["school_id"] == str(RIVERSIDE)
    duplicate = await client.post(
        f"/v1/classes/{GRADE4}/enrollments", json={"user_id": sid, "role": "student"},
        headers=client.as_(SCHOOL_ADMIN),
    )  # fmt: skip
    assert duplicate.status_code == 409
    wrong_role = await client.post(
        f"/v1/classes/{GRADE4}/enrollments", json={"user_id": sid, "role": "teacher"},
        headers=client.as_(SCHOOL_ADMIN),
    )  # fmt: skip
    assert wrong_role.status_code == 422
    listed = await client.get(
        f"/v1/classes/{GRADE4}/enrollments", params={"role": "student", "limit": 200},
        headers=client.as_(TEACHER),
    )  # fmt: skip
    assert sid in {e["user_id"] for e in listed.json()["items"]}
    removed = await client.delete(
        f"/v1/enrollments/{enrolled.json()['id']}", headers=client.as_(SCHOOL_ADMIN)
    )
    assert removed.status_code == 204
    assert (await _events(client, f"class/{GRADE4}"))[-2:] == [
        "enrollment.changed",
        "enrollment.changed",
    ]


async def test_enrollment_to_another_district_is_refused(client: ServiceClient) -> None:
    other_class = await client.post(
        f"/v1/classes/{OTHER_CLASS}/enrollments", json={"user_id": str(learner(1)), "role": "student"},
        headers=client.as_(DISTRICT_ADMIN),
    )  # fmt: skip
    assert other_class.status_code == 404
    other_user = await client.post(
        f"/v1/classes/{GRADE4}/enrollments", json={"user_id": str(OTHER_LEARNER), "role": "student"},
        headers=client.as_(DISTRICT_ADMIN),
    )  # fmt: skip
    assert other_user.status_code == 422
    assert other_user.headers["content-type"] == "application/problem+json"


async def test_other_districts_objects_are_404(client: ServiceClient) -> None:
    other_admin = make_principal(OTHER_DISTRICT, roles=["district_admin"])
    for path in (
        f"/v1/classes/{GRADE4}",
        f"/v1/users/{learner(1)}",
        f"/v1/schools/{RIVERSIDE}",
        f"/v1/districts/{DEMO_DISTRICT}",
    ):
        response = await client.get(path, headers=client.as_(other_admin))
        assert response.status_code == 404, path


async def test_roles_are_enforced(client: ServiceClient) -> None:
    assert (await client.get("/v1/users", headers=client.as_(as_learner(1)))).status_code == 403
    assert (
        await client.get(f"/v1/users/{learner(2)}", headers=client.as_(as_learner(1)))
    ).status_code == 404  # another user is as invisible to a student as another district's
    assert (
        await client.get(f"/v1/users/{learner(1)}", headers=client.as_(as_learner(1)))
    ).status_code == 200
    client_no_scope = make_principal(
        DEMO_DISTRICT, kind="client", scopes=["assessment:read"], subject="c"
    )
    assert (await client.get("/v1/classes", headers=client.as_(client_no_scope))).status_code == 403
    reader = make_principal(DEMO_DISTRICT, kind="client", scopes=["roster:read"], subject="c")
    assert (await client.get("/v1/classes", headers=client.as_(reader))).status_code == 200
    assert (
        await client.post("/v1/districts", json={"name": "X"}, headers=client.as_(DISTRICT_ADMIN))
    ).status_code == 403


async def test_system_creates_a_district(client: ServiceClient) -> None:
    response = await client.post(
        "/v1/districts", json={"name": "Brookfield", "sourced_id": "brookfield"},
        headers=client.as_(system_principal("ops")),
    )  # fmt: skip
    assert response.status_code == 201
    again = await client.post(
        "/v1/districts", json={"name": "Brookfield", "sourced_id": "brookfield"},
        headers=client.as_(system_principal("ops")),
    )  # fmt: skip
    assert again.status_code == 409


async def test_class_and_session_crud(client: ServiceClient) -> None:
    sess = await client.post(
        "/v1/sessions",
        json={
            "title": "Spring",
            "type": "term",
            "start_date": "2027-01-10",
            "end_date": "2027-06-01",
        },
        headers=client.as_(DISTRICT_ADMIN),
    )
    assert sess.status_code == 201
    created = await client.post(
        "/v1/classes",
        json={
            "title": "Grade 3 Science",
            "school_id": str(RIVERSIDE),
            "grades": ["03"],
            "session_id": sess.json()["id"],
        },
        headers=client.as_(SCHOOL_ADMIN),
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    patched = await client.patch(
        f"/v1/classes/{cid}", json={"title": "Science 3"}, headers=client.as_(SCHOOL_ADMIN)
    )
    assert patched.json()["title"] == "Science 3"
    by_grade = await client.get(
        "/v1/classes",
        params={"grade": "03", "school_id": str(RIVERSIDE)},
        headers=client.as_(TEACHER),
    )
    assert {c["title"] for c in by_grade.json()["items"]} >= {"Grade 3 Math", "Science 3"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "post",
            "/v1/users",
            {
                "username": "a",
                "given_name": "A",
                "family_name": "B",
                "roles": ["student"],
                "colour": "red",
            },
        ),
        (
            "post",
            "/v1/users",
            {"username": "a b", "given_name": "A", "family_name": "B", "roles": ["student"]},
        ),
        (
            "post",
            "/v1/users",
            {"username": "a", "given_name": "A", "family_name": "B", "roles": []},
        ),
        (
            "post",
            "/v1/users",
            {"username": "a", "given_name": "A" * 300, "family_name": "B", "roles": ["student"]},
        ),
        (
            "post",
            "/v1/users",
            {"username": "a", "given_name": "A", "family_name": "B", "roles": ["pirate"]},
        ),
        (
            "post",
            "/v1/users",
            {
                "username": "a",
                "given_name": "A",
                "family_name": "B",
                "roles": ["student"],
                "email": "nope",
            },
        ),
        (
            "post",
            "/v1/sessions",
            {"title": "T", "type": "term", "start_date": "2027-06-01", "end_date": "2027-01-01"},
        ),
        (
            "post",
            "/v1/sessions",
            {"title": "T", "type": "term", "start_date": "2027-02-30", "end_date": "2027-03-01"},
        ),
        ("post", "/v1/classes", {"title": "T", "school_id": str(uuid.uuid4())}),
        (
            "post",
            f"/v1/classes/{GRADE4}/enrollments",
            {
                "user_id": str(learner(1)),
                "role": "student",
                "begin_date": "2027-01-02",
                "end_date": "2027-01-01",
            },
        ),
        ("post", "/v1/guardians", {"guardian_id": str(learner(1)), "student_id": str(learner(2))}),
        ("patch", f"/v1/users/{learner(1)}", {"username": "renamed"}),
        ("get", "/v1/users?limit=0", None),
        ("get", "/v1/users?limit=201", None),
        ("get", "/v1/users?modified_since=yesterday", None),
        ("get", "/v1/users?grade=%27%3B--", None),
        ("get", "/v1/classes/not-a-uuid", None),
    ],
)
async def test_bad_input_is_a_422_problem(
    client: ServiceClient, method: str, path: str, body: object
) -> None:
    response = await client.request(
        method.upper(), path, headers=client.as_(DISTRICT_ADMIN), json=body
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_bad_cursor_is_400(client: ServiceClient) -> None:
    for cursor in ("%%%", "WyJub3QtYS11dWlkIl0"):
        response = await client.get(
            f"/v1/users?cursor={cursor}", headers=client.as_(DISTRICT_ADMIN)
        )
        assert response.status_code == 400, response.text


async def test_guardian_links(client: ServiceClient) -> None:
    body = {
        "guardian_id": str(demo_id("user", "guardian-01")),
        "student_id": str(learner(2)),
        "relationship": "relative",
    }
    created = await client.post("/v1/guardians", json=body, headers=client.as_(DISTRICT_ADMIN))
    assert created.status_code == 201, created.text
    again = await client.post("/v1/guardians", json=body, headers=client.as_(DISTRICT_ADMIN))
    assert again.status_code == 409
    # Problem types are URIs of registered types.
    assert lookup(slug_of(again.json()["type"]) or "") is not None
    listed = await client.get(
        "/v1/guardians", params={"student_id": str(learner(2))}, headers=client.as_(TEACHER)
    )
    assert len(listed.json()["items"]) == 2
    gone = await client.delete(
        f"/v1/guardians/{created.json()['id']}", headers=client.as_(DISTRICT_ADMIN)
    )
    assert gone.status_code == 204
    missing = await client.delete(
        f"/v1/guardians/{uuid.uuid4()}", headers=client.as_(DISTRICT_ADMIN)
    )
    assert missing.status_code == 404
    # A two-word object name is hyphenated: a space made the type an invalid URI.
    assert missing.json()["type"] == f"{PROBLEM_TYPE_BASE}guardian-link-not-found"
    assert lookup("guardian-link-not-found") is not None
