"""``GET /internal/me/children`` (the gateway's guardian home) and a user's preferred language."""

import uuid
from typing import Any

from pathwise_devstack.profiles_fixtures import OTHER_DISTRICT, as_user, learner
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

ADMIN = make_principal(DEMO_DISTRICT, roles=["district_admin"])
RIVERSIDE = demo_id("school", "riverside-elementary")


async def _children(client: ServiceClient, principal: Principal) -> dict[str, Any]:
    answer = await client.get("/internal/me/children", headers=client.as_(principal))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_guardian_of_two_gets_both_with_schools_and_classes(client: ServiceClient) -> None:
    body = await _children(client, as_user("guardian-05", "guardian"))
    assert body["guardian_id"] == str(demo_id("user", "guardian-05"))
    assert body["preferred_language"] is None
    children = body["children"]
    assert isinstance(children, list)
    by_id = {c["learner_id"]: c for c in children}
    assert set(by_id) == {str(learner(5)), str(learner(15))}
    five = by_id[str(learner(5))]
    assert five["grade"] == "03" and five["relationship"] == "parent"
    assert five["schools"] == [{"id": str(RIVERSIDE), "name": "Riverside Elementary"}]
    assert [c["id"] for c in five["classes"]] == [str(demo_id("class", "grade3-math"))]
    assert by_id[str(learner(15))]["classes"][0]["id"] == str(demo_id("class", "grade4-math"))


async def test_the_seeded_spanish_reader(client: ServiceClient) -> None:
    body = await _children(client, as_user("guardian-13", "guardian"))
    assert body["preferred_language"] == "es"


async def test_nobody_else_has_children(client: ServiceClient) -> None:
    # A teacher, a client, the same guardian's id in another district: nothing, never an error.
    for principal in (
        as_user("teacher-01", "teacher"),
        make_principal(DEMO_DISTRICT, kind="client", scopes=["profiles:read"]),
        as_user("guardian-05", "guardian", district=OTHER_DISTRICT),
        as_user(uuid.uuid4(), "guardian"),
    ):
        assert await _children(client, principal) == {
            "guardian_id": None,
            "preferred_language": None,
            "children": [],
        }


async def test_a_removed_link_is_no_longer_a_child(client: ServiceClient) -> None:
    created = await client.post(
        "/v1/users",
        json={
            "username": "guardian-children-test",
            "given_name": "Ana",
            "family_name": "Test",
            "roles": ["guardian"],
            "preferred_language": "pt-BR",
        },
        headers=client.as_(ADMIN),
    )
    assert created.status_code == 201, created.text
    guardian_id = uuid.UUID(created.json()["id"])
    assert created.json()["preferred_language"] == "pt-BR"
    link = await client.post(
        "/v1/guardians",
        json={"guardian_id": str(guardian_id), "student_id": str(learner(20))},
        headers=client.as_(ADMIN),
    )
    assert link.status_code == 201, link.text
    guardian = as_user(guardian_id, "guardian")
    body = await _children(client, guardian)
    assert body["preferred_language"] == "pt-BR"
    assert [c["learner_id"] for c in body["children"]] == [str(learner(20))]
    removed = await client.delete(f"/v1/guardians/{link.json()['id']}", headers=client.as_(ADMIN))
    assert removed.status_code in (200, 204), removed.text
    assert (await _children(client, guardian))["children"] == []


async def test_preferred_language_is_a_language_tag(client: ServiceClient) -> None:
    target = demo_id("user", "guardian-09")
    for bad in ("not a tag", "e", "es_MX", "x" * 40, 5):
        answer = await client.patch(
            f"/v1/users/{target}", json={"preferred_language": bad}, headers=client.as_(ADMIN)
        )
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    set_ = await client.patch(
        f"/v1/users/{target}", json={"preferred_language": "es-MX"}, headers=client.as_(ADMIN)
    )
    assert set_.status_code == 200 and set_.json()["preferred_language"] == "es-MX"
    cleared = await client.patch(
        f"/v1/users/{target}", json={"preferred_language": None}, headers=client.as_(ADMIN)
    )
    assert cleared.status_code == 200 and cleared.json()["preferred_language"] is None
