"""The authorization matrix, from outside: every role x every public operation that names a
learner, class or school x ownership, through the real gateway in front of the real services.

The expected answers are declared here as data (who may call an operation at all, and which
objects each role may reach); the test computes the declared answer of every cell, calls the
gateway once per cell and fails with the list of cells that differ.

Ownership is seen from the demo district's users: ``own`` is the caller's own learner, class or
school (learner-01 / grade-3 math / Riverside Elementary), ``same_school`` a learner or class of
another class in the same school, ``other_school`` one of Hillcrest Elementary. ``other_district``
is every role again, as a principal of another district asking for the ``own`` objects: the demo
seed has one district, and the answer must be the same either way (not found, never forbidden).
"""

import uuid
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest

from pathwise_assessment.seed import check_id
from pathwise_devstack.testing import bearer, dev_login, gateway_token
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

Kind = Literal["learner", "class", "school", "attempt"]
Ownership = Literal["own", "same_school", "other_school"]
Outcome = Literal["ok", "forbidden", "not_found"]

ROLES = ("student", "guardian", "teacher", "school_admin", "district_admin", "client")
OWNERSHIPS: tuple[Ownership, ...] = ("own", "same_school", "other_school")
ALL = frozenset(ROLES) - {"client"}
STAFF = frozenset({"teacher", "school_admin", "district_admin"})
ADMINS = frozenset({"school_admin", "district_admin"})
CLIENT_SCOPES = ("profiles:read", "roster:read", "pathways:read", "assessment:read")

OBJECTS: dict[Kind, dict[Ownership, uuid.UUID]] = {
    "learner": {
        "own": demo_id("learner", "learner-01"),  # grade 3 math, Riverside; guardian-01's child
        "same_school": demo_id("learner", "learner-11"),  # grade 4 math, Riverside
        "other_school": demo_id("learner", "learner-31"),  # Hillcrest
    },
    "class": {
        "own": demo_id("class", "grade3-math"),
        "same_school": demo_id("class", "grade4-math"),
        "other_school": demo_id("class", "hillcrest-grade4-math"),
    },
    "school": {
        "own": demo_id("school", "riverside-elementary"),
        "other_school": demo_id("school", "hillcrest-elementary"),
    },
}

# Which objects each role reaches (the object-level rule of the profiles access check), for the
# roles that pass the route-level check. The client reaches its whole district through its scopes.
REACH: dict[Kind, dict[str, frozenset[Ownership]]] = {
    "learner": {
        "student": frozenset({"own"}),
        "guardian": frozenset({"own"}),
        "teacher": frozenset({"own"}),
        "school_admin": frozenset({"own", "same_school"}),
        "district_admin": frozenset(OWNERSHIPS),
        "client": frozenset(OWNERSHIPS),
    },
    "class": {
        "student": frozenset({"own"}),
        "guardian": frozenset(),
        "teacher": frozenset({"own"}),
        "school_admin": frozenset({"own", "same_school"}),
        "district_admin": frozenset(OWNERSHIPS),
        "client": frozenset(OWNERSHIPS),
    },
    "school": {
        "student": frozenset(),
        "guardian": frozenset(),
        "teacher": frozenset({"own"}),
        "school_admin": frozenset({"own"}),
        "district_admin": frozenset(OWNERSHIPS),
        "client": frozenset(OWNERSHIPS),
    },
}
# An attempt is its learner's: the gateway resolves it and applies the learner's reach.
REACH["attempt"] = REACH["learner"]


@dataclass(frozen=True)
class Op:
    method: str
    template: str  # "{id}" is the learner, class or school
    kind: Kind
    roles: frozenset[str]  # user roles the route admits
    client: bool  # whether a read-scoped integration client is admitted
    # The answers of an allowed call. Writes send an invalid body: 422 proves the gateway let the
    # call through to the service, without changing anything. A learner without a planned
    # pathway has none: the service's 404 (not the gateway's object check) is still "let through".
    ok: frozenset[int]
    body: Any = None  # "{id}" anywhere in it is the object too (a learner named in the body)
    # The answer to an admitted role asking for an object out of its reach: forbidden, or not
    # found on a route over the caller's own things ("not one of my children" is "not here").
    unreached: Outcome = "forbidden"

    def __str__(self) -> str:
        return f"{self.method} {self.template}"

    def json_for(self, object_id: uuid.UUID) -> Any:
        if isinstance(self.body, dict):
            return {k: str(object_id) if v == "{id}" else v for k, v in self.body.items()}
        return self.body


OK = frozenset({200})
INVALID = frozenset({422})
MAYBE = frozenset({200, 404})  # the service's own "none yet" (no pathway, history, grouping)
GONE = frozenset({404})  # the service's own "no such artifact", after the gateway let it through
TAKERS = STAFF | {"student"}
EXPORTERS = frozenset({"guardian", "district_admin"})
CHECK = check_id("3.NF.A.1")
NO_SUCH = uuid.UUID(int=16)  # a goal or reflection id that names nothing
NO_CREDENTIAL = uuid.UUID(int=0xC4ED)
OPERATIONS = (
    Op("GET", "/v1/learners/{id}/profile", "learner", ALL, True, OK),
    Op("GET", "/v1/learners/{id}/goals", "learner", ALL, True, OK),
    Op("GET", "/v1/learners/{id}/history", "learner", STAFF, False, OK),
    Op("GET", "/v1/learners/{id}/pathway", "learner", ALL, True, MAYBE),
    Op("GET", "/v1/learners/{id}/pathway/versions", "learner", ALL, True, MAYBE),
    Op("GET", "/v1/learners/{id}/mastery", "learner", ALL, True, OK),
    Op("GET", "/v1/learners/{id}/mastery/3.NF.A.1/history", "learner", ALL, True, MAYBE),
    Op("GET", "/v1/learners/{id}/overview", "learner", ALL, True, OK),
    # The guardian home (gateway): guardians only, and another learner than their own child is
    # not found. Staff use the overview; clients the roster and the learner routes.
    Op("GET", "/v1/me/children/{id}/summary", "learner", frozenset({"guardian"}), False, OK,
       unreached="not_found"),
    # Motivation (assessment, issue 16): read like mastery; only the learner sets the preference.
    Op("GET", "/v1/learners/{id}/motivation", "learner", ALL, True, OK),
    Op("PUT", "/v1/learners/{id}/motivation/preferences", "learner", frozenset({"student"}),
       False, INVALID, {"hidden": "x"}),
    # Credentials (assessment, issue 16): the learner asks, their people read, staff revoke. No
    # client scope: a credential is the learner's to share. (Unknown credential: the service's 404.)
    Op("GET", "/v1/learners/{id}/credentials", "learner", ALL, False, OK),
    Op("POST", "/v1/learners/{id}/credentials", "learner", frozenset({"student"}), False, INVALID,
       {"skill_code": 5}),
    Op("GET", f"/v1/learners/{{id}}/credentials/{NO_CREDENTIAL}", "learner", ALL, False,
       frozenset({404})),
    Op("GET", f"/v1/learners/{{id}}/credentials/{NO_CREDENTIAL}/jwt", "learner", ALL, False,
       frozenset({404})),
    Op("POST", f"/v1/learners/{{id}}/credentials/{NO_CREDENTIAL}/revoke", "learner", STAFF, False,
       INVALID, {"reason": 5}),
    # The audit log of a learner: admins read entries with ids and names; guardians (and admins)
    # the access log in plain words. Not the learner (docs/gateway.md, "Readable audit").
    Op("GET", "/v1/audit/learners/{id}", "learner", ADMINS, False, OK),
    Op("GET", "/v1/learners/{id}/access-log", "learner", ADMINS | {"guardian"}, False, OK),
    Op("POST", "/v1/learners/{id}/goals", "learner", ALL - {"guardian"}, False, INVALID, {}),
    Op("POST", "/v1/learners/{id}/pathway/overrides", "learner", STAFF, False, INVALID, {}),
    # The portfolio (pathways): the learner writes their own; staff give feedback.
    Op("GET", "/v1/learners/{id}/portfolio", "learner", ALL, True, OK),
    Op("POST", "/v1/learners/{id}/portfolio", "learner", frozenset({"student"}), False, INVALID, {}),
    Op("GET", f"/v1/learners/{{id}}/portfolio/{uuid.UUID(int=9)}", "learner", ALL, True, GONE),
    Op("GET", f"/v1/learners/{{id}}/portfolio/{uuid.UUID(int=9)}/file", "learner", ALL, True, GONE),
    Op("PATCH", f"/v1/learners/{{id}}/portfolio/{uuid.UUID(int=9)}", "learner",
       frozenset({"student"}), False, INVALID, {"share_with_guardians": "x"}),
    Op("POST", f"/v1/learners/{{id}}/portfolio/{uuid.UUID(int=9)}/feedback", "learner", STAFF,
       False, INVALID, {}),
    # A plan the learner drafts (pathways): the learner proposes and revises; staff decide;
    # guardians are not part of it. No such proposal: the service's 404.
    Op("GET", "/v1/learners/{id}/pathway/proposals", "learner", STAFF | {"student"}, True, OK),
    Op("POST", "/v1/learners/{id}/pathway/proposals", "learner", frozenset({"student"}), False,
       INVALID, {"order": "x"}),
    Op("GET", f"/v1/learners/{{id}}/pathway/proposals/{NO_SUCH}", "learner",
       STAFF | {"student"}, True, GONE),
    Op("PATCH", f"/v1/learners/{{id}}/pathway/proposals/{NO_SUCH}", "learner",
       STAFF | {"student"}, False, INVALID, {"note": 5}),
    Op("POST", f"/v1/learners/{{id}}/pathway/proposals/{NO_SUCH}/return", "learner", STAFF,
       False, INVALID, {}),
    Op("POST", f"/v1/learners/{{id}}/pathway/proposals/{NO_SUCH}/approve", "learner", STAFF,
       False, INVALID, {"comment": 5}),
    # Guardians' consents for off-site activities (pathways): a guardian of the learner gives it.
    Op("GET", "/v1/learners/{id}/consents", "learner", ALL, True, OK),
    Op("POST", "/v1/learners/{id}/consents", "learner", frozenset({"guardian"}), False, INVALID,
       {}),
    Op("DELETE", f"/v1/learners/{{id}}/consents/{NO_SUCH}", "learner", frozenset({"guardian"}),
       False, GONE),
    # Step evidence (pathways, issue 16): staff set the rule and score, the learner submits.
    # No such step or submission: the service's 404 after the gateway let the call through.
    Op("GET", f"/v1/learners/{{id}}/pathway/steps/{NO_SUCH}/evidence-rule", "learner", ALL, True,
       GONE),
    Op("PUT", f"/v1/learners/{{id}}/pathway/steps/{NO_SUCH}/evidence-rule", "learner", STAFF,
       False, INVALID, {"formats": "x"}),
    Op("POST", f"/v1/learners/{{id}}/pathway/steps/{NO_SUCH}/evidence", "learner",
       frozenset({"student"}), False, INVALID, {}),
    Op("GET", "/v1/learners/{id}/pathway/evidence", "learner", ALL, True, OK),
    Op("GET", f"/v1/learners/{{id}}/pathway/steps/{NO_SUCH}/evidence/{NO_SUCH}", "learner", ALL,
       True, GONE),
    Op("POST", f"/v1/learners/{{id}}/pathway/steps/{NO_SUCH}/evidence/{NO_SUCH}/score",
       "learner", STAFF, False, INVALID, {}),
    # Goal comments and co-sign, reflections (issue 16). No such goal or reflection: the
    # service's 404 after the gateway let the call through. Guardian-01's child does not share
    # reflections with guardians (the default): profiles' 403 for reflections and confidence.
    Op("GET", f"/v1/learners/{{id}}/goals/{NO_SUCH}/comments", "learner", ALL, False, MAYBE),
    Op("POST", f"/v1/learners/{{id}}/goals/{NO_SUCH}/comments", "learner", STAFF, False, INVALID,
       {}),
    Op("POST", f"/v1/learners/{{id}}/goals/{NO_SUCH}/co-sign", "learner", STAFF, False,
       frozenset({404})),
    Op("POST", "/v1/learners/{id}/reflections", "learner", frozenset({"student"}), False, INVALID,
       {}),
    Op("GET", "/v1/learners/{id}/reflections", "learner", ALL - {"guardian"}, False, OK),
    Op("POST", f"/v1/learners/{{id}}/reflections/{NO_SUCH}/replies", "learner", STAFF, False,
       INVALID, {}),
    Op("GET", "/v1/learners/{id}/confidence", "learner", ALL - {"guardian"}, False, OK),
    # Student voice surveys (issue 16): the learner's own inbox and answers only. No such
    # survey: the service's 404 after the gateway let the call through.
    Op("GET", "/v1/learners/{id}/surveys", "learner", frozenset({"student"}), False, OK),
    Op("GET", f"/v1/learners/{{id}}/surveys/{NO_SUCH}", "learner", frozenset({"student"}), False,
       frozenset({404})),
    Op("POST", f"/v1/learners/{{id}}/surveys/{NO_SUCH}/answers", "learner", frozenset({"student"}),
       False, INVALID, {}),
    # Messages about a learner (profiles, issue 17): people related to the learner write; a
    # district admin reads (moderation) and writes nothing; no client. No such thread: the
    # service's 404 after the gateway let the call through.
    Op("GET", "/v1/learners/{id}/threads", "learner", ALL, False, OK),
    Op("POST", "/v1/learners/{id}/threads", "learner", ALL - {"district_admin"}, False, INVALID,
       {}),
    Op("GET", f"/v1/learners/{{id}}/threads/{NO_SUCH}", "learner", ALL, False, GONE),
    Op("GET", f"/v1/learners/{{id}}/threads/{NO_SUCH}/messages", "learner", ALL, False, GONE),
    Op("POST", f"/v1/learners/{{id}}/threads/{NO_SUCH}/messages", "learner",
       ALL - {"district_admin"}, False, INVALID, {}),
    Op("POST", f"/v1/learners/{{id}}/threads/{NO_SUCH}/read", "learner",
       ALL - {"district_admin"}, False, INVALID, {"up_to_seq": "x"}),
    Op("GET", f"/v1/learners/{{id}}/threads/{NO_SUCH}/attachments/{NO_SUCH}", "learner", ALL,
       False, GONE),
    # Legal holds (profiles, issue 17): district admins only, no client. None set on the demo
    # learners: reading or lifting is the service's 404 after the gateway let the call through.
    Op("GET", "/v1/learners/{id}/legal-hold", "learner", frozenset({"district_admin"}), False,
       GONE),
    Op("PUT", "/v1/learners/{id}/legal-hold", "learner", frozenset({"district_admin"}), False,
       INVALID, {"reason": 5}),
    Op("DELETE", "/v1/learners/{id}/legal-hold", "learner", frozenset({"district_admin"}), False,
       GONE),
    # The right to inspect (gateway, docs/privacy.md): a district admin, or a guardian of their
    # own child; nobody else, no client. Asking starts a real job (202); a job that does not
    # exist is the gateway's own 404 after the object check let the call through.
    Op("POST", "/v1/learners/{id}/exports", "learner", EXPORTERS, False, frozenset({202})),
    Op("GET", f"/v1/learners/{{id}}/exports/{NO_SUCH}", "learner", EXPORTERS, False, GONE),
    Op("GET", f"/v1/learners/{{id}}/exports/{NO_SUCH}/download", "learner", EXPORTERS, False,
       GONE),
    # The right to deletion (gateway, docs/privacy.md "Deletion"): district admins only, no
    # client. The body must name the learner again: {} is the 422 after the object check let
    # the call through (a real deletion of a demo learner would end the other tests' stack).
    Op("POST", "/v1/learners/{id}/deletions", "learner", frozenset({"district_admin"}), False,
       INVALID, {}),
    Op("GET", "/v1/classes/{id}", "class", ADMINS | {"student", "teacher"}, True, OK),
    Op("GET", "/v1/classes/{id}/enrollments", "class", STAFF, True, OK),
    Op("GET", "/v1/classes/{id}/insights", "class", STAFF, True, OK),
    Op("GET", "/v1/classes/{id}/dashboard", "class", STAFF, True, OK),
    Op("GET", "/v1/classes/{id}/groups", "class", STAFF, True, MAYBE),
    Op("POST", "/v1/classes/{id}/groups", "class", STAFF, False, INVALID, {"min_size": "x"}),
    Op("GET", "/v1/schools/{id}", "school", STAFF, True, OK),
    Op("PATCH", "/v1/schools/{id}", "school", ADMINS, False, INVALID, {"name": 5}),
    # Attempts: the learner in the body, in the query, or behind the attempt id.
    Op("POST", f"/v1/assessments/{CHECK}/attempts", "learner", TAKERS, False, frozenset({201}),
       {"learner_id": "{id}"}),
    Op("GET", "/v1/attempts?learner_id={id}", "learner", TAKERS, True, OK),
    Op("GET", "/v1/attempts/{id}", "attempt", TAKERS, True, OK),
    Op("PUT", f"/v1/attempts/{{id}}/responses/{uuid.UUID(int=7)}", "attempt", TAKERS, False,
       INVALID, {"answer": "not an object"}),
    Op("POST", "/v1/attempts/{id}/next", "attempt", TAKERS, False, frozenset({200, 409, 422})),
    Op("POST", f"/v1/attempts/{{id}}/responses/{uuid.UUID(int=7)}/rubric-score", "attempt",
       STAFF, False, INVALID, {}),
)  # fmt: skip


def declared(op: Op, role: str, ownership: Ownership | Literal["other_district"]) -> Outcome:
    if ownership == "other_district":
        return "not_found"  # whatever the role: another district's objects do not exist
    admitted = op.client if role == "client" else role in op.roles
    if not admitted:
        return "forbidden"
    return "ok" if ownership in REACH[op.kind][role] else op.unreached


@dataclass(frozen=True)
class Callers:
    home: dict[str, dict[str, str]]
    elsewhere: dict[str, dict[str, str]]
    objects: dict[Kind, dict[Ownership, uuid.UUID]]


@pytest.fixture(scope="module")
def callers(gw: httpx.Client) -> Callers:
    """The demo district's users by dev login, an integration client by client credentials,
    and every role again as a principal of another district."""
    usernames = {
        "student": "learner-01",
        "guardian": "guardian-01",
        "teacher": "teacher-01",
        "school_admin": "admin-riverside-elementary",
        "district_admin": "admin-district",
    }
    home = {role: dev_login(gw, name) for role, name in usernames.items()}
    created = gw.post(
        "/v1/clients",
        json={"name": "matrix SIS", "scopes": list(CLIENT_SCOPES)},
        headers=home["district_admin"],
    )
    assert created.status_code == 201, created.text
    token = gw.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created.json()["client_id"],
            "client_secret": created.json()["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    home["client"] = bearer(token.json()["access_token"])

    other = uuid.uuid4()
    elsewhere = {}
    for role in ROLES:
        if role == "client":
            principal = Principal(subject="other-sis", kind="client", district_id=other,
                                  scopes=frozenset(CLIENT_SCOPES))  # fmt: skip
        else:
            uid = uuid.uuid4()
            principal = Principal(subject=str(uid), kind="user", district_id=other,
                                  roles=frozenset({role}), user_id=uid)  # fmt: skip
        elsewhere[role] = gateway_token(principal)

    # One attempt of each learner of OBJECTS, started by the district admin.
    attempts: dict[Ownership, uuid.UUID] = {}
    for ownership, learner in OBJECTS["learner"].items():
        started = gw.post(
            f"/v1/assessments/{CHECK}/attempts",
            json={"learner_id": str(learner)},
            headers=home["district_admin"],
        )
        assert started.status_code == 201, started.text
        attempts[ownership] = uuid.UUID(started.json()["id"])
    return Callers(home, elsewhere, {**OBJECTS, "attempt": attempts})


def _outcome_of(op: Op, response: httpx.Response) -> str:
    """What the gateway decided: its object-level refusal carries ``check: object``; any other
    404 came from the service, after the gateway let the call through."""
    status = response.status_code
    if status == 403:
        return "forbidden"
    if status == 404 and response.json().get("check") == "object":
        return "not_found"
    if status in op.ok:
        return "ok"
    return f"status {status}: {response.text[:160]}"


def test_role_operation_ownership_matrix(gw: httpx.Client, callers: Callers) -> None:
    differ: list[str] = []
    cells = 0
    for op in OPERATIONS:
        for role in ROLES:
            targets: list[tuple[str, uuid.UUID, dict[str, str]]] = [
                (ownership, object_id, callers.home[role])
                for ownership, object_id in callers.objects[op.kind].items()
            ]
            own = callers.objects[op.kind]["own"]
            targets.append(("other_district", own, callers.elsewhere[role]))
            for ownership, object_id, headers in targets:
                want = declared(op, role, ownership)  # type: ignore[arg-type]
                path = op.template.replace("{id}", str(object_id))
                response = gw.request(op.method, path, headers=headers, json=op.json_for(object_id))
                got = _outcome_of(op, response)
                cells += 1
                if got != want:
                    differ.append(f"{op} as {role} on {ownership}: want {want}, got {got}")
                if response.status_code in (403, 404):
                    assert response.headers["content-type"] == "application/problem+json"
    assert not differ, f"{len(differ)} of {cells} cells differ:\n" + "\n".join(differ)


# District-wide operations: they name no learner, class or school; the caller's district is the
# object. Another district's caller reads its own district's (here empty) answer.
DISTRICT_WIDE = (
    Op("GET", "/v1/changes", "school", frozenset({"district_admin"}), True, OK),
)  # fmt: skip


def test_district_wide_operations_by_role(gw: httpx.Client, callers: Callers) -> None:
    differ: list[str] = []
    for op in DISTRICT_WIDE:
        for role in ROLES:
            admitted = op.client if role == "client" else role in op.roles
            for where, headers in (
                ("home", callers.home[role]),
                ("other", callers.elsewhere[role]),
            ):
                response = gw.request(op.method, op.template, headers=headers)
                got = "ok" if response.status_code in op.ok else str(response.status_code)
                want = "ok" if admitted else "403"
                if got != want:
                    differ.append(f"{op} as {role} ({where}): want {want}, got {got}")
                if where == "other" and admitted:
                    assert response.json()["items"] == [], response.text
    assert not differ, "\n".join(differ)


# The caller's own things (issue 17, notifications): no object but the caller; every user role
# reads and marks their own, clients have none. Another district's user gets their own (empty).
SELF_SERVICE = (
    Op("GET", "/v1/me/notifications", "learner", ALL, False, OK),
    Op("POST", "/v1/me/notifications/read-all", "learner", ALL, False, OK),
    Op("POST", f"/v1/me/notifications/{NO_SUCH}/read", "learner", ALL, False, GONE),
    Op("GET", "/v1/me/notification-preferences", "learner", ALL, False, OK),
    # Issue 17 follow-up: the caller's threads across learners (routed to profiles).
    Op("GET", "/v1/me/threads", "learner", ALL, False, OK),
    Op("PUT", "/v1/me/notification-preferences", "learner", ALL, False, INVALID,
       {"channels": "x"}),
)  # fmt: skip


def test_self_service_operations_by_role(gw: httpx.Client, callers: Callers) -> None:
    differ: list[str] = []
    for op in SELF_SERVICE:
        for role in ROLES:
            admitted = op.client if role == "client" else role in op.roles
            for where, headers in (
                ("home", callers.home[role]),
                ("other", callers.elsewhere[role]),
            ):
                response = gw.request(op.method, op.template, headers=headers, json=op.body)
                got = "ok" if response.status_code in op.ok else str(response.status_code)
                want = "ok" if admitted else "403"
                if got != want:
                    differ.append(f"{op} as {role} ({where}): want {want}, got {got}")
                if response.status_code >= 400:
                    assert response.headers["content-type"] == "application/problem+json"
    assert not differ, "\n".join(differ)


def test_a_change_feed_cursor_stays_in_its_district(gw: httpx.Client, callers: Callers) -> None:
    home = gw.get("/v1/changes", params={"limit": 1}, headers=callers.home["district_admin"])
    assert home.status_code == 200, home.text
    cursor = home.json()["next_cursor"]
    for role in ("district_admin", "client"):
        foreign = gw.get("/v1/changes", params={"cursor": cursor}, headers=callers.elsewhere[role])
        assert foreign.status_code == 400, foreign.text
        assert foreign.headers["content-type"] == "application/problem+json"
        assert foreign.json()["type"].endswith("/cursor-of-another-district")


def test_my_children_is_for_guardians_only(gw: httpx.Client, callers: Callers) -> None:
    """``GET /v1/me/children`` names no object (the caller is the subject): every other role is
    refused at the route; a guardian lists their own children, a guardian of another district
    none of the demo district's."""
    for role in ROLES:
        answer = gw.get("/v1/me/children", headers=callers.home[role])
        if role == "guardian":
            assert answer.status_code == 200, answer.text
            assert [c["learner_id"] for c in answer.json()["children"]] == [
                str(OBJECTS["learner"]["own"])
            ]
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
    elsewhere = gw.get("/v1/me/children", headers=callers.elsewhere["guardian"])
    assert elsewhere.status_code == 200, elsewhere.text
    assert elsewhere.json()["children"] == []
