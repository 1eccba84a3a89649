"""The OneRoster 1.2 REST read API through the real gateway in front of the real services: routed
under the specification's base path, refused to roles that may not roster, scoped to the
caller's district, paged with its headers passed on, and every learner a page shows audited as a
read of that learner's records (a guardian sees the integration that read their child)."""

import uuid

import httpx
import pytest

from pathwise_devstack.testing import bearer, dev_login, gateway_token
from pathwise_shared.answer_learners import LEARNERS_HEADER
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id
from pathwise_shared.problem_types import PROBLEM_TYPE_BASE

pytestmark = pytest.mark.integration

API = "/ims/oneroster/rostering/v1p2"
CHILD = demo_id("learner", "learner-01")  # guardian-01's child, grade 3 math at Riverside


def _client(gw: httpx.Client, admin: dict[str, str], scopes: list[str]) -> dict[str, str]:
    created = gw.post(
        "/v1/clients", json={"name": f"SIS {uuid.uuid4().hex[:6]}", "scopes": scopes}, headers=admin
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
    return bearer(token.json()["access_token"])


def test_a_roster_read_is_routed_paged_and_audited_per_learner(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    sis = _client(gw, admin, ["roster:read"])
    trace = f"oneroster-{uuid.uuid4().hex[:12]}"
    page = gw.get(
        f"{API}/classes/grade3-math/students",
        params={"fields": "sourcedId,givenName", "limit": "5000", "sort": "sourcedId"},
        headers={**sis, "X-Request-ID": trace},
    )
    assert page.status_code == 200, page.text
    students = page.json()["users"]
    assert students and all(set(s) == {"sourcedId", "givenName"} for s in students)
    assert "learner-01" in [s["sourcedId"] for s in students]
    assert page.headers["x-total-count"] == str(len(students))
    # A limit past ours is served at ours (the gateway's own page-size check is for /v1 only).
    assert "limit=1000" in page.headers["link"] and 'rel="last"' in page.headers["link"]
    assert LEARNERS_HEADER not in page.headers  # for the gateway only
    assert page.headers["cache-control"] == "no-store"

    # One audit entry per student shown, although the answer named them by sourcedId only.
    log = gw.get("/v1/audit", params={"limit": "200"}, headers=admin)
    assert log.status_code == 200, log.text
    mine = [e for e in log.json()["items"] if e["request_id"] == trace]
    assert len(mine) == len(students)
    assert {e["operation"] for e in mine} == {"getStudentsForClass"}
    assert all(e["action"] == "read" and e["actor_kind"] == "client" for e in mine)
    assert all(e["path"] == f"{API}/classes/grade3-math/students" for e in mine)

    # The guardian sees that the integration read their child's record.
    seen = gw.get(f"/v1/audit/learners/{CHILD}", headers=admin)
    assert seen.status_code == 200, seen.text
    assert [e["request_id"] for e in seen.json()["items"]].count(trace) == 1
    log = gw.get(f"/v1/learners/{CHILD}/access-log", headers=dev_login(gw, "guardian-01"))
    assert log.status_code == 200, log.text
    newest = log.json()["items"][0]  # the integration's read, named by the client's name
    assert newest["actor_name"].startswith("SIS ") and newest["actor_role"] == "integration"
    assert newest["activity"] == "read a class's students from the roster"
    assert newest["purpose"] == "district roster sync"

    # A read that shows no learner (classes, a teacher) is not on any learner's record.
    quiet = f"oneroster-{uuid.uuid4().hex[:12]}"
    for path in ("/classes", "/users/teacher-01"):
        read = gw.get(API + path, headers={**sis, "X-Request-ID": quiet})
        assert read.status_code == 200, read.text
    log = gw.get("/v1/audit", params={"limit": "200"}, headers=admin)
    assert [e for e in log.json()["items"] if e["request_id"] == quiet] == []


def test_who_may_roster_and_how_far(gw: httpx.Client) -> None:
    for username in ("teacher-01", "learner-01", "guardian-01"):
        refused = gw.get(f"{API}/users", headers=dev_login(gw, username))
        assert refused.status_code == 403, (username, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    admin = dev_login(gw, "admin-district")
    wrong_scope = _client(gw, admin, ["pathways:read"])
    assert gw.get(f"{API}/users", headers=wrong_scope).status_code == 403

    school_admin = dev_login(gw, "admin-riverside-elementary")
    schools = gw.get(f"{API}/schools", headers=school_admin)
    assert schools.status_code == 200, schools.text
    assert [s["sourcedId"] for s in schools.json()["orgs"]] == ["riverside-elementary"]
    hidden = gw.get(f"{API}/schools/hillcrest-elementary/classes", headers=school_admin)
    assert hidden.status_code == 404

    uid = uuid.uuid4()
    elsewhere = gateway_token(
        Principal(
            subject=str(uid),
            district_id=uuid.uuid4(),
            roles=frozenset({"district_admin"}),
            user_id=uid,
        )
    )
    for path in ("/users/learner-01", f"/users/{CHILD}", "/classes/grade3-math/students"):
        answer = gw.get(API + path, headers=elsewhere)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["type"].endswith("-not-found") and "givenName" not in answer.text
    empty = gw.get(f"{API}/users", headers=elsewhere)
    assert empty.json() == {"users": []} and empty.headers["x-total-count"] == "0"


def test_a_bad_filter_is_a_400_problem_and_the_api_is_documented(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    bad = gw.get(f"{API}/users", params={"filter": "shoeSize>'9'"}, headers=admin)
    assert bad.status_code == 400, bad.text
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["type"] == f"{PROBLEM_TYPE_BASE}invalid-filter-field"
    assert bad.json()["codeMinor"] == "invalid_filter_field"
    assert gw.get(f"{API}/nothing", headers=admin).status_code == 404
    paths = gw.get("/openapi.json").json()["paths"]
    assert {f"{API}/users", f"{API}/users/{{sourcedId}}", f"{API}/enrollments"} <= set(paths)
