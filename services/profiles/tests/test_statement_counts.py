"""How many SQL statements the hot reads send: the profile read, the access check, the
disclosure and the class roster pathways asks for on every pathway and class read.

Counted with a ``before_cursor_execute`` listener on the app's own engine (real HTTP through the
app, real database), so a change that adds a round trip or an N+1 fails here. No timings.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from pathwise_devstack.profiles_fixtures import as_learner, as_user, learner
from pathwise_devstack.testing import ServiceClient, counted_statements
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_shared.auth import Principal
from pathwise_shared.calls import system_principal
from pathwise_shared.demo import demo_id

L5 = learner(5)  # grade 3 at Riverside, taught by teacher-01, has goals
GRADE3 = demo_id("class", "grade3-math")
TEACHER = as_user("teacher-01", "teacher")
EVERY_ROLE = as_user("teacher-01", "teacher", "guardian", "school_admin", "student")


@asynccontextmanager
async def warmed(client: ServiceClient, url: str, principal: Principal) -> AsyncIterator[None]:
    # A first call fills the statement caches; the counted call is the steady state.
    await client.get(url, headers=client.as_(principal))
    yield


@pytest.mark.parametrize(
    "principal",
    [TEACHER, EVERY_ROLE, as_learner(5), as_user("guardian-05", "guardian")],
    ids=["teacher", "every-role", "self", "guardian"],
)
async def test_profile_read_is_one_statement(client: ServiceClient, principal: Principal) -> None:
    """Access facts, the profile and its goals come back in one statement."""
    url = f"/v1/learners/{L5}/profile"
    async with warmed(client, url, principal):
        with counted_statements(client) as statements:
            response = await client.get(url, headers=client.as_(principal))
    assert response.status_code == 200, response.text
    assert response.json()["goals"], "learner 5 has goals: the statement must bring them"
    assert len(statements) <= 1, statements


async def test_refused_profile_read_is_one_statement(client: ServiceClient) -> None:
    url = f"/v1/learners/{learner(12)}/profile"
    with counted_statements(client) as statements:
        response = await client.get(url, headers=client.as_(TEACHER))
    assert response.status_code == 403
    assert len(statements) <= 1, statements


@pytest.mark.parametrize(
    ("principal", "body"),
    [
        (TEACHER, {"action": "read", "learner_id": str(L5)}),
        (EVERY_ROLE, {"action": "write", "learner_id": str(L5)}),
        (TEACHER, {"action": "read", "class_id": str(GRADE3)}),
        (EVERY_ROLE, {"action": "read", "class_id": str(GRADE3)}),
        (TEACHER, {"action": "read", "school_id": str(demo_id("school", "riverside-elementary"))}),
        (system_principal("test"), {"action": "read", "learner_id": str(L5)}),
    ],
    ids=["teacher-learner", "roles-learner", "teacher-class", "roles-class", "school", "system"],
)
async def test_access_check_is_one_statement(
    client: ServiceClient, principal: Principal, body: dict[str, str]
) -> None:
    with counted_statements(client) as statements:
        response = await client.post(
            "/internal/access-check", json=body, headers=client.as_(principal)
        )
    assert response.status_code == 200, response.text
    assert response.json()["allowed"] is True
    assert len(statements) <= 1, statements


async def test_disclosure_is_one_statement(client: ServiceClient) -> None:
    with counted_statements(client) as statements:
        response = await client.get(
            f"/internal/learners/{L5}/disclosure", headers=client.as_(TEACHER)
        )
    assert response.status_code == 200, response.text
    assert response.json()["reader"] == "teacher"
    assert len(statements) <= 1, statements


async def test_class_roster_is_two_statements_whatever_the_class_size(
    client: ServiceClient,
) -> None:
    """The class and its learners (with what each hides): no statement per learner."""
    with counted_statements(client) as statements:
        response = await client.get(
            f"/internal/classes/{GRADE3}/learners", headers=client.as_(TEACHER)
        )
    assert response.status_code == 200, response.text
    assert len(response.json()["learners"]) == 10
    assert uuid.UUID(response.json()["district_id"]) == DEMO_DISTRICT
    assert len(statements) <= 2, statements
