"""The internal operations other services code against: principals, planning profile, class list."""

import uuid

import pytest

from pathwise_devstack.profiles_fixtures import (
    OTHER_ADMIN,
    OTHER_DISTRICT,
    OTHER_LEARNER,
    OTHER_TEACHER,
    as_learner,
    as_user,
    learner,
    user,
)
from pathwise_devstack.testing import ServiceClient
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_shared.calls import system_principal
from pathwise_shared.demo import demo_id

SYSTEM = system_principal("gateway-login")


async def test_resolve_by_username_as_system(client: ServiceClient) -> None:
    response = await client.post(
        "/internal/principals/resolve",
        json={"username": "teacher-01", "district_id": str(DEMO_DISTRICT)},
        headers=client.as_(SYSTEM),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": str(demo_id("user", "teacher-01")),
        "district_id": str(DEMO_DISTRICT),
        "roles": ["teacher"],
        "school_ids": [str(demo_id("school", "riverside-elementary"))],
        "status": "active",
        "display_name": "Ana Rivera",
    }


async def test_resolve_by_username_without_district(client: ServiceClient) -> None:
    response = await client.post(
        "/internal/principals/resolve", json={"username": "learner-11"}, headers=client.as_(SYSTEM)
    )
    assert response.status_code == 200
    assert response.json()["user_id"] == str(learner(11))
    assert response.json()["roles"] == ["student"]


async def test_resolve_by_user_id_and_sourced_id(client: ServiceClient) -> None:
    by_id = await client.post(
        "/internal/principals/resolve",
        json={"user_id": str(demo_id("user", "admin-district"))},
        headers=client.as_(SYSTEM),
    )
    assert by_id.json()["roles"] == ["district_admin"]
    by_sourced = await client.post(
        "/internal/principals/resolve",
        json={"district_id": str(DEMO_DISTRICT), "sourced_id": "guardian-05"},
        headers=client.as_(SYSTEM),
    )
    assert by_sourced.json()["user_id"] == str(demo_id("user", "guardian-05"))


async def test_resolve_is_scoped_to_the_callers_district(client: ServiceClient) -> None:
    other = as_user("admin-district", "district_admin", district=OTHER_DISTRICT)
    response = await client.post(
        "/internal/principals/resolve", json={"username": "teacher-01"}, headers=client.as_(other)
    )
    assert response.status_code == 404
    sourced = await client.post(
        "/internal/principals/resolve",
        json={"district_id": str(DEMO_DISTRICT), "sourced_id": "teacher-01"},
        headers=client.as_(as_user("admin-district", "district_admin")),
    )
    assert sourced.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": ""},
        {"sourced_id": "x"},
        {"user_id": str(uuid.uuid4()), "username": "a"},
        {"username": "a", "x": 1},
    ],
)
async def test_resolve_refuses_bad_input(client: ServiceClient, body: dict[str, object]) -> None:
    response = await client.post(
        "/internal/principals/resolve", json=body, headers=client.as_(SYSTEM)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_resolve_unknown_user(client: ServiceClient) -> None:
    response = await client.post(
        "/internal/principals/resolve", json={"username": "nobody"}, headers=client.as_(SYSTEM)
    )
    assert response.status_code == 404


async def test_planning_profile(client: ServiceClient) -> None:
    response = await client.get(
        f"/internal/learners/{learner(12)}/planning-profile", headers=client.as_(as_learner(12))
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["learner_id"] == str(learner(12)) and body["grade"] == "04"
    assert body["accommodations"] == [
        {"term": "extended_time", "factor": 1.5},
        {"term": "breaks", "factor": None},
    ]
    assert body["pace"] in {"slower", "steady", "faster"}
    assert body["goals"] and all(g["skill_codes"][0].startswith("4.") for g in body["goals"])
    assert set(body) == {
        "learner_id", "district_id", "grade", "interests", "preferred_formats", "languages",
        "english_learner", "pace", "accommodations", "goals",
    }  # fmt: skip


async def test_planning_profile_of_another_district_is_404(client: ServiceClient) -> None:
    response = await client.get(
        f"/internal/learners/{OTHER_LEARNER}/planning-profile",
        headers=client.as_(as_user("admin-district", "district_admin")),
    )
    assert response.status_code == 404
    bad = await client.get(
        "/internal/learners/nope/planning-profile", headers=client.as_(as_learner(1))
    )
    assert bad.status_code == 422


async def test_one_goal_of_a_learner(client: ServiceClient) -> None:
    made = await client.post(
        f"/v1/learners/{learner(13)}/goals",
        headers=client.as_(as_learner(13)),
        json={
            "term": "short",
            "title": "Equivalent fractions",
            "skill_codes": ["3.NF.A.3"],
            "status": "achieved",
            "why": "my own words stay in profiles",
        },
    )
    assert made.status_code == 201, made.text
    goal_id = made.json()["id"]
    path = f"/internal/learners/{learner(13)}/goals/{goal_id}"
    response = await client.get(path, headers=client.as_(as_learner(13)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "achieved" and body["completed_at"] is not None
    assert body["skill_codes"] == ["3.NF.A.3"] and body["title"] == "Equivalent fractions"
    assert body["district_id"] == str(DEMO_DISTRICT) and body["learner_id"] == str(learner(13))
    assert "why" not in body
    # Under another learner, from another district, or unknown: 404 goal-not-found.
    for headers, where in (
        (client.as_(as_learner(12)), f"/internal/learners/{learner(12)}/goals/{goal_id}"),
        (client.as_(as_user(OTHER_LEARNER, "student", district=OTHER_DISTRICT)), path),
        (client.as_(as_learner(13)), f"/internal/learners/{learner(13)}/goals/{uuid.uuid4()}"),
    ):
        missing = await client.get(where, headers=headers)
        assert missing.status_code == 404, (where, missing.text)
        assert missing.json()["type"].endswith("/goal-not-found")


async def test_class_learners(client: ServiceClient) -> None:
    class_id = demo_id("class", "grade3-math")
    response = await client.get(
        f"/internal/classes/{class_id}/learners",
        headers=client.as_(as_user("teacher-01", "teacher")),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["class_id"] == str(class_id)
    assert body["school_id"] == str(demo_id("school", "riverside-elementary"))
    ids = {item["id"] for item in body["learners"]}
    assert ids == {str(learner(n)) for n in range(1, 11)}
    other = await client.get(
        f"/internal/classes/{class_id}/learners",
        headers=client.as_(as_user("x", "teacher", district=OTHER_DISTRICT)),
    )
    assert other.status_code == 404


async def test_people_names_in_bulk_scoped_to_the_district(client: ServiceClient) -> None:
    """The audit log's names: one call for a page's actors and learners; an id of another
    district, or of nobody, is absent (the gateway shows a placeholder), never an error."""
    nobody = uuid.uuid4()
    ids = [str(user("teacher-01")), str(learner(1)), str(OTHER_TEACHER), str(nobody)]
    response = await client.post(
        "/internal/people/names",
        json={"ids": [*ids, str(learner(1))]},  # a repeated id is answered once
        headers=client.as_(as_user("guardian-01", "guardian")),
    )
    assert response.status_code == 200, response.text
    people = {p["id"]: p for p in response.json()["people"]}
    assert set(people) == {str(user("teacher-01")), str(learner(1))}
    assert people[str(user("teacher-01"))] == {
        "id": str(user("teacher-01")),
        "display_name": "Ana Rivera",
        "roles": ["teacher"],
        "status": "active",
    }
    assert people[str(learner(1))]["roles"] == ["student"]
    # Seen from the other district, only its own teacher has a name.
    other = await client.post(
        "/internal/people/names",
        json={"ids": ids},
        headers=client.as_(as_user(OTHER_ADMIN, "district_admin", district=OTHER_DISTRICT)),
    )
    assert [p["id"] for p in other.json()["people"]] == [str(OTHER_TEACHER)]
    empty = await client.post(
        "/internal/people/names", json={"ids": []}, headers=client.as_(as_learner(1))
    )
    assert empty.status_code == 200 and empty.json() == {"people": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": ["nope"]}, {"ids": [str(uuid.uuid4())] * 501}, {"ids": [], "x": 1}],
)
async def test_people_names_refuses_bad_input(
    client: ServiceClient, body: dict[str, object]
) -> None:
    response = await client.post(
        "/internal/people/names", json=body, headers=client.as_(as_learner(1))
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_audit_log_days_for_the_gateways_sweep(client: ServiceClient) -> None:
    """Only districts whose policy is on and sets ``audit_log_days`` are listed, to the system
    alone; a system principal of one district reads that district only."""
    path = "/internal/retention/audit-log-days"
    policy = {"enabled": True, "delete_after_days_since_leaving": 365}
    admin = as_user("admin-district", "district_admin")
    other = as_user(OTHER_ADMIN, "district_admin", district=OTHER_DISTRICT)
    put = f"/v1/districts/{DEMO_DISTRICT}/retention-policy"
    put_other = f"/v1/districts/{OTHER_DISTRICT}/retention-policy"
    try:
        listed = await client.get(path, headers=client.as_(SYSTEM))
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"districts": []}  # no policy anywhere: nothing to delete
        for url, principal, body in (
            (put, admin, {**policy, "audit_log_days": 400}),
            (put_other, other, policy),  # on, but no audit_log_days: kept whole
        ):
            done = await client.put(url, json=body, headers=client.as_(principal))
            assert done.status_code == 200, done.text
        listed = await client.get(path, headers=client.as_(SYSTEM))
        assert listed.json() == {
            "districts": [{"district_id": str(DEMO_DISTRICT), "audit_log_days": 400}]
        }
        mine = system_principal("audit-retention").model_copy(
            update={"district_id": OTHER_DISTRICT}
        )
        assert (await client.get(path, headers=client.as_(mine))).json() == {"districts": []}
        for principal in (admin, as_user("teacher-01", "teacher")):
            refused = await client.get(path, headers=client.as_(principal))
            assert refused.status_code == 403 and refused.json()["type"].endswith("/system-only")
        # Off: the district keeps its whole audit log again.
        off = {**policy, "enabled": False, "audit_log_days": 400}
        assert (await client.put(put, json=off, headers=client.as_(admin))).status_code == 200
        assert (await client.get(path, headers=client.as_(SYSTEM))).json() == {"districts": []}
    finally:
        for url, principal in ((put, admin), (put_other, other)):
            await client.put(url, json={**policy, "enabled": False}, headers=client.as_(principal))
