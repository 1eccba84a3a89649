"""The access check as a matrix: every kind of principal against learners, classes and schools."""

import uuid

import pytest
from sqlalchemy import event

from pathwise_devstack.profiles_fixtures import (
    FORMER_TEACHER,
    HILLCREST_ADMIN,
    OTHER_ADMIN,
    OTHER_CLASS,
    OTHER_DISTRICT,
    OTHER_LEARNER,
    OTHER_TEACHER,
    as_learner,
    as_user,
    learner,
)
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_shared.auth import Principal
from pathwise_shared.calls import system_principal
from pathwise_shared.demo import demo_id

L11 = learner(11)  # grade 4 at Riverside, taught by teacher-02, guardian-11
GRADE4 = demo_id("class", "grade4-math")
HILLCREST_CLASS = demo_id("class", "hillcrest-grade4-math")
RIVERSIDE = demo_id("school", "riverside-elementary")
HILLCREST = demo_id("school", "hillcrest-elementary")


def client_principal(*scopes: str, district: uuid.UUID = DEMO_DISTRICT) -> Principal:
    return make_principal(district, kind="client", scopes=scopes, subject="client-sis")


# (name, principal, action, target kind, target id, allowed, found, reason)
CASES: list[tuple[str, Principal, str, str, uuid.UUID, bool, bool, str]] = [
    ("teacher of the learner's class reads", as_user("teacher-02", "teacher"), "read", "learner", L11, True, True, "teacher_of_learner"),
    ("teacher of the learner's class writes", as_user("teacher-02", "teacher"), "write", "learner", L11, True, True, "teacher_of_learner"),
    ("teacher of another class, same school", as_user("teacher-01", "teacher"), "read", "learner", L11, False, True, "no_relation"),
    ("teacher at another school", as_user("teacher-04", "teacher"), "read", "learner", L11, False, True, "no_relation"),
    ("teacher whose enrollment ended", as_user(FORMER_TEACHER, "teacher"), "read", "learner", L11, False, True, "no_relation"),
    ("teacher of another district", as_user(OTHER_TEACHER, "teacher", district=OTHER_DISTRICT), "read", "learner", L11, False, False, "not_found"),
    ("other district teacher on own learner", as_user(OTHER_TEACHER, "teacher", district=OTHER_DISTRICT), "read", "learner", OTHER_LEARNER, True, True, "teacher_of_learner"),
    ("guardian linked reads", as_user("guardian-11", "guardian"), "read", "learner", L11, True, True, "guardian_of_learner"),
    ("guardian linked cannot write", as_user("guardian-11", "guardian"), "write", "learner", L11, False, True, "no_relation"),
    ("guardian of another child", as_user("guardian-01", "guardian"), "read", "learner", L11, False, True, "no_relation"),
    ("guardian of two children, second child", as_user("guardian-05", "guardian"), "read", "learner", learner(15), True, True, "guardian_of_learner"),
    ("the student themself reads", as_learner(11), "read", "learner", L11, True, True, "self"),
    ("the student themself writes", as_learner(11), "write", "learner", L11, True, True, "self"),
    ("another student", as_learner(12), "read", "learner", L11, False, True, "no_relation"),
    ("school admin of the school", as_user("admin-riverside-elementary", "school_admin"), "write", "learner", L11, True, True, "school_admin_of_school"),
    ("school admin of another school", as_user(HILLCREST_ADMIN, "school_admin"), "read", "learner", L11, False, True, "no_relation"),
    ("school admin of hillcrest, own learner", as_user(HILLCREST_ADMIN, "school_admin"), "read", "learner", learner(31), True, True, "school_admin_of_school"),
    ("district admin, same district", as_user("admin-district", "district_admin"), "write", "learner", L11, True, True, "district_admin"),
    ("district admin, other district", as_user(OTHER_ADMIN, "district_admin", district=OTHER_DISTRICT), "read", "learner", L11, False, False, "not_found"),
    ("client with profiles:read", client_principal("profiles:read"), "read", "learner", L11, True, True, "client_scope"),
    ("client with roster:read", client_principal("roster:read"), "read", "learner", L11, True, True, "client_scope"),
    ("client without the scope", client_principal("assessment:read"), "read", "learner", L11, False, True, "missing_scope"),
    ("client read scope cannot write", client_principal("profiles:read"), "write", "learner", L11, False, True, "missing_scope"),
    ("client with roster:write writes", client_principal("roster:write"), "write", "learner", L11, True, True, "client_scope"),
    ("client of another district", client_principal("profiles:read", district=OTHER_DISTRICT), "read", "learner", L11, False, False, "not_found"),
    ("system principal", system_principal("test"), "write", "learner", L11, True, True, "system"),
    ("unknown learner", as_user("admin-district", "district_admin"), "read", "learner", uuid.uuid4(), False, False, "not_found"),
    ("a teacher is not a learner", as_user("admin-district", "district_admin"), "read", "learner", demo_id("user", "teacher-01"), False, False, "not_found"),
    # consent: a guardian acting for their own child (a consent to an off-site activity), and
    # nobody else, whatever else they may do with the learner's records
    ("guardian linked consents", as_user("guardian-11", "guardian"), "consent", "learner", L11, True, True, "guardian_of_learner"),
    ("guardian of another child cannot consent", as_user("guardian-01", "guardian"), "consent", "learner", L11, False, True, "not_guardian"),
    ("guardian of another district", as_user(OTHER_ADMIN, "guardian", district=OTHER_DISTRICT), "consent", "learner", L11, False, False, "not_found"),
    ("teacher of the learner cannot consent", as_user("teacher-02", "teacher"), "consent", "learner", L11, False, True, "not_guardian"),
    ("teacher who is a guardian elsewhere", as_user("teacher-02", "teacher", "guardian"), "consent", "learner", L11, False, True, "not_guardian"),
    ("school admin cannot consent", as_user("admin-riverside-elementary", "school_admin"), "consent", "learner", L11, False, True, "not_guardian"),
    ("district admin cannot consent", as_user("admin-district", "district_admin", "guardian"), "consent", "learner", L11, False, True, "not_guardian"),
    ("the student cannot consent", as_learner(11), "consent", "learner", L11, False, True, "not_guardian"),
    ("client cannot consent", client_principal("profiles:read", "roster:write"), "consent", "learner", L11, False, True, "not_guardian"),
    ("guardian consents for no class", as_user("guardian-11", "guardian"), "consent", "class", GRADE4, False, True, "not_guardian"),
    # classes
    ("teacher of the class", as_user("teacher-02", "teacher"), "write", "class", GRADE4, True, True, "teacher_of_class"),
    ("teacher of another class", as_user("teacher-01", "teacher"), "read", "class", GRADE4, False, True, "no_relation"),
    ("student enrolled reads class", as_learner(11), "read", "class", GRADE4, True, True, "enrolled_in_class"),
    ("student enrolled cannot write class", as_learner(11), "write", "class", GRADE4, False, True, "no_relation"),
    ("student not enrolled", as_learner(1), "read", "class", GRADE4, False, True, "no_relation"),
    ("guardian on a class", as_user("guardian-11", "guardian"), "read", "class", GRADE4, False, True, "no_relation"),
    ("school admin, class of own school", as_user("admin-riverside-elementary", "school_admin"), "read", "class", GRADE4, True, True, "school_admin_of_school"),
    ("school admin, class of other school", as_user("admin-riverside-elementary", "school_admin"), "read", "class", HILLCREST_CLASS, False, True, "no_relation"),
    ("class of another district", as_user("admin-district", "district_admin"), "read", "class", OTHER_CLASS, False, False, "not_found"),
    # schools
    ("school admin of the school", as_user("admin-riverside-elementary", "school_admin"), "write", "school", RIVERSIDE, True, True, "school_admin_of_school"),
    ("school admin of another school", as_user("admin-riverside-elementary", "school_admin"), "read", "school", HILLCREST, False, True, "no_relation"),
    ("teacher reads own school", as_user("teacher-01", "teacher"), "read", "school", RIVERSIDE, True, True, "teacher_in_school"),
    ("teacher cannot write school", as_user("teacher-01", "teacher"), "write", "school", RIVERSIDE, False, True, "no_relation"),
    ("district admin, school", as_user("admin-district", "district_admin"), "write", "school", HILLCREST, True, True, "district_admin"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("principal", "action", "kind", "target", "allowed", "found", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_access_matrix(
    client: ServiceClient,
    principal: Principal,
    action: str,
    kind: str,
    target: uuid.UUID,
    allowed: bool,
    found: bool,
    reason: str,
) -> None:
    response = await client.post(
        "/internal/access-check",
        json={"action": action, f"{kind}_id": str(target)},
        headers=client.as_(principal),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"allowed": allowed, "found": found, "reason": reason}


async def test_an_unknown_action_is_refused(client: ServiceClient) -> None:
    response = await client.post(
        "/internal/access-check",
        json={"action": "guardian", "learner_id": str(L11)},
        headers=client.as_(as_user("guardian-11", "guardian")),
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "roles",
    [
        ["teacher"],
        ["guardian"],
        ["school_admin"],
        ["teacher", "guardian", "school_admin", "student"],
    ],
)
async def test_access_check_is_one_query(client: ServiceClient, roles: list[str]) -> None:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        # The outbox relay polls in the background; only our own statements count.
        if statement.lstrip().upper().startswith("SELECT") and "FROM outbox" not in statement:
            statements.append(statement)

    engine = client.app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await client.post(
            "/internal/access-check",
            json={"action": "read", "learner_id": str(L11)},
            headers=client.as_(as_user("teacher-02", *roles)),
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert len(statements) == 1, statements


@pytest.mark.parametrize(
    "body",
    [
        {"action": "read"},
        {"action": "read", "learner_id": str(L11), "class_id": str(GRADE4)},
        {"action": "delete", "learner_id": str(L11)},
        {"action": "read", "learner_id": "not-a-uuid"},
        {"action": "read", "learner_id": str(L11), "extra": 1},
    ],
)
async def test_access_check_refuses_bad_input(
    client: ServiceClient, body: dict[str, object]
) -> None:
    response = await client.post(
        "/internal/access-check", json=body, headers=client.as_(as_learner(11))
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_access_check_needs_a_token(client: ServiceClient) -> None:
    response = await client.post(
        "/internal/access-check", json={"action": "read", "learner_id": str(L11)}
    )
    assert response.status_code == 401
