"""The OneRoster 1.2 REST read API, from outside: a district imported from a OneRoster file set
(``oneroster_samples.BASE``: schools s1 and s2, teacher t-1, students st-1..st-3, classes k-4a and
k-4b, sessions, a course, enrollments e1..e4) read back through the binding, by each kind of
caller, with filters, sorting, field selection and paging."""

import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.oneroster_samples import BASE
from pathwise_shared.answer_learners import LEARNERS_HEADER
from pathwise_shared.auth import Principal
from pathwise_shared.problem_types import PROBLEM_TYPE_BASE

# The import tests' helpers (tests are not a package under importlib mode).
sys.path.insert(0, str(Path(__file__).parent))
from test_imports_api import admin_of, new_district, upload  # type: ignore[import-not-found]

API = "/ims/oneroster/rostering/v1p2"


@dataclass(frozen=True)
class North:
    district: uuid.UUID
    ids: dict[str, uuid.UUID]  # our ids by sourcedId
    admin: Principal
    s1_admin: Principal


@pytest.fixture(scope="module")
async def north(client: ServiceClient) -> North:
    district = await new_district(client)
    job = await upload(client, district, BASE)
    assert job["state"] == "succeeded", job
    admin = admin_of(district)
    page = await client.get(f"{API}/orgs", headers=client.as_(admin))
    ids = {o["sourcedId"]: uuid.UUID(o["metadata"]["pathwise.id"]) for o in page.json()["orgs"]}
    made = await client.post(
        "/v1/users",
        json={"username": "s1.admin", "given_name": "Sam", "family_name": "Oduya",
              "roles": ["school_admin"], "school_ids": [str(ids["s1"])]},
        headers=client.as_(admin),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    users = await client.get(f"{API}/users", headers=client.as_(admin))
    ids |= {u["sourcedId"]: uuid.UUID(u["metadata"]["pathwise.id"]) for u in users.json()["users"]}
    s1_admin = make_principal(
        district, roles=["school_admin"], user_id=uuid.UUID(made.json()["id"])
    )
    return North(district, ids, admin, s1_admin)


async def _get(
    client: ServiceClient, who: Principal, path: str, **params: str
) -> tuple[int, Any, dict[str, str]]:
    answer = await client.get(API + path, params=params, headers=client.as_(who))
    return answer.status_code, answer.json(), dict(answer.headers)


def _ids(body: dict[str, Any], key: str) -> list[str]:
    return [r["sourcedId"] for r in body[key]]


async def test_records_in_the_binding_shape(client: ServiceClient, north: North) -> None:
    status, body, _ = await _get(client, north.admin, "/users/st-1")
    assert status == 200, body
    ana = body["user"]
    assert ana["sourcedId"] == "st-1" and ana["status"] == "active"
    assert ana["dateLastModified"].endswith("Z")
    assert (ana["givenName"], ana["familyName"], ana["username"]) == ("Ana", "Silva", "ana.s")
    assert ana["enabledUser"] is True and ana["grades"] == ["04"]
    s1 = {"href": f"{API}/orgs/s1", "sourcedId": "s1", "type": "org"}
    assert ana["roles"] == [{"roleType": "primary", "role": "student", "org": s1}]
    assert ana["primaryOrg"] == s1
    assert ana["metadata"] == {"pathwise.id": str(north.ids["st-1"])}

    _, body, _ = await _get(client, north.admin, "/classes/k-4a")
    k4a = body["class"]
    assert (k4a["title"], k4a["classCode"], k4a["grades"]) == ("Math 4A", "4A", ["04"])
    assert k4a["school"] == s1 and k4a["course"]["sourcedId"] == "c-math4"
    assert [t["sourcedId"] for t in k4a["terms"]] == ["t1"]

    _, body, _ = await _get(client, north.admin, "/enrollments/e2")
    e2 = body["enrollment"]
    assert (e2["user"]["sourcedId"], e2["class"]["sourcedId"], e2["role"]) == ("st-1", "k-4a",
                                                                               "student")  # fmt: skip
    assert e2["primary"] is False and e2["beginDate"] == "2026-08-15" and "endDate" not in e2

    _, body, _ = await _get(client, north.admin, "/academicSessions/t1")
    term = body["academicSession"]
    assert (term["type"], term["startDate"], term["schoolYear"]) == ("term", "2026-08-15", "2027")
    assert term["parent"]["sourcedId"] == "y2026"

    # The district has no sourcedId of its own: it is named by our id.
    status, body, _ = await _get(client, north.admin, f"/orgs/{north.district}")
    assert status == 200 and body["org"]["type"] == "district"
    assert sorted(c["sourcedId"] for c in body["org"]["children"]) == ["s1", "s2"]
    _, body, _ = await _get(client, north.admin, "/schools/s2")
    assert body["org"]["parent"]["sourcedId"] == str(north.district)


async def test_collections_and_nested_lists(client: ServiceClient, north: North) -> None:
    expected = {
        "/orgs": ("orgs", [str(north.district), "s1", "s2"]),
        "/schools": ("orgs", ["s1", "s2"]),
        "/academicSessions": ("academicSessions", ["t1", "y2026"]),
        "/courses": ("courses", ["c-math4"]),
        "/classes": ("classes", ["k-4a", "k-4b"]),
        "/enrollments": ("enrollments", ["e1", "e2", "e3", "e4"]),
        "/students": ("users", ["st-1", "st-2", "st-3"]),
        "/teachers": ("users", ["t-1"]),
        "/schools/s1/classes": ("classes", ["k-4a", "k-4b"]),
        "/schools/s2/classes": ("classes", []),
        "/schools/s1/enrollments": ("enrollments", ["e1", "e2", "e3", "e4"]),
        "/schools/s2/students": ("users", ["st-3"]),
        "/schools/s1/teachers": ("users", ["t-1"]),
        "/classes/k-4a/students": ("users", ["st-1", "st-2"]),
        "/classes/k-4a/teachers": ("users", ["t-1"]),
    }
    for path, (key, ids) in expected.items():
        status, body, headers = await _get(client, north.admin, path, sort="sourcedId")
        assert status == 200, (path, body)
        assert sorted(_ids(body, key)) == sorted(ids), path
        assert headers["x-total-count"] == str(len(ids)), path
    status, body, _ = await _get(client, north.admin, "/schools/nowhere/classes")
    assert status == 404 and body["type"] == f"{PROBLEM_TYPE_BASE}school-not-found"
    status, _, _ = await _get(client, north.admin, "/classes/nowhere/students")
    assert status == 404


async def test_filters(client: ServiceClient, north: North) -> None:
    sam = str(north.s1_admin.user_id)  # made through /v1: no sourcedId, named by our id
    cases = {
        ("/users", "role='student' AND givenName~'A'"): ["st-1"],
        ("/users", "familyName='Silva' OR familyName='Lee'"): ["st-1", "st-3"],
        ("/users", "enabledUser='false'"): ["st-3"],
        ("/users", "grades='05'"): ["st-3"],
        ("/users", "role='siteAdministrator'"): [sam],
        ("/users", "role='principal'"): [sam],  # the import's other name for it
        ("/users", "role='aide'"): [],  # no equivalent: held by no one
        ("/users", "role!='student' AND role!='siteAdministrator'"): ["t-1"],
        ("/users", "email!='tkim@north.example' AND role='teacher'"): [],
        # No value differs from any value (SQL alone would call it unknown and drop the row).
        ("/users", "email!='tkim@north.example'"): ["st-1", "st-2", "st-3", sam],
        ("/users", "sourcedId='st-2'"): ["st-2"],
        ("/users", "status='tobedeleted'"): [],
        ("/users", "dateLastModified>'2000-01-01'"): ["t-1", "st-1", "st-2", "st-3", sam],
        ("/users", f"sourcedId='{sam}'"): [sam],
        ("/users", "sourcedId!='st-1'"): ["t-1", "st-2", "st-3", sam],
        ("/users", f"sourcedId!='{sam}' AND sourcedId!='t-1'"): ["st-1", "st-2", "st-3"],
        ("/classes", "course.sourcedId!='elsewhere'"): ["k-4a", "k-4b"],
        ("/users", "dateLastModified>'2999-01-01T00:00:00Z'"): [],
        ("/classes", "school.sourcedId='s1' AND classCode='4B'"): ["k-4b"],
        ("/enrollments", "class.sourcedId='k-4a' AND role='student'"): ["e2", "e3"],
        ("/enrollments", "user.sourcedId='st-3'"): ["e4"],
        ("/enrollments", "beginDate>='2026-08-01'"): ["e2"],
        ("/enrollments", "primary='true'"): ["e1"],
        ("/academicSessions", "type='term' AND parent.sourcedId='y2026'"): ["t1"],
        ("/academicSessions", "schoolYear>='2027' AND endDate<'2027-01-01'"): ["t1"],
        ("/schools", "identifier='NE'"): ["s1"],
        ("/orgs", f"parent.sourcedId='{north.district}'"): ["s1", "s2"],
        ("/courses", f"org.sourcedId='{north.district}'"): ["c-math4"],
    }
    for (path, text), ids in cases.items():
        status, body, _ = await _get(client, north.admin, path, filter=text)
        assert status == 200, (path, text, body)
        got = _ids(body, next(iter(body)))
        assert sorted(got) == sorted(ids), (path, text, got)


async def test_sort_paging_and_headers(client: ServiceClient, north: North) -> None:
    status, body, headers = await _get(
        client, north.admin, "/students", sort="familyName", orderBy="desc", limit="2"
    )
    assert status == 200
    assert [u["familyName"] for u in body["users"]] == ["Silva", "Okafor"]
    assert headers["x-total-count"] == "3"
    links = {
        part.split("; ")[1]: urlsplit(part.split("; ")[0].strip("<>"))
        for part in headers["link"].split(", ")
    }
    assert set(links) == {'rel="first"', 'rel="next"', 'rel="last"'}
    after = links['rel="next"']
    assert after.path == f"{API}/students"
    query = {k: v[0] for k, v in parse_qs(after.query).items()}
    assert query == {"sort": "familyName", "orderBy": "desc", "limit": "2", "offset": "2"}
    _, rest, headers = await _get(client, north.admin, "/students", **query)
    assert [u["familyName"] for u in rest["users"]] == ["Lee"]
    assert 'rel="next"' not in headers["link"] and 'rel="prev"' in headers["link"]
    # A larger page than we serve is served at our maximum, not refused.
    _, _, headers = await _get(client, north.admin, "/users", limit="5000")
    assert "limit=1000" in headers["link"]


async def test_field_selection(client: ServiceClient, north: North) -> None:
    _, body, _ = await _get(client, north.admin, "/users", fields="givenName,sourcedId",
                            filter="role='student'")  # fmt: skip
    assert all(set(u) == {"sourcedId", "givenName"} for u in body["users"]) and body["users"]
    _, body, _ = await _get(client, north.admin, "/users/t-1", fields="email")
    assert body == {"user": {"email": "tkim@north.example"}}


@pytest.mark.parametrize(
    ("path", "params", "slug", "code"),
    [
        ("/users", {"filter": "nickname='x'"}, "invalid-filter-field", "invalid_filter_field"),
        ("/users", {"filter": "givenName='Ana"}, "invalid-query", "invalid_data"),
        ("/users", {"filter": "dateLastModified>'soon'"}, "invalid-query", "invalid_data"),
        ("/users", {"sort": "nickname"}, "invalid-sort-field", "invalid_sort_field"),
        ("/users", {"sort": "givenName", "orderBy": "up"}, "invalid-query", "invalid_data"),
        ("/users", {"fields": "givenName,ssn"}, "invalid-selection-field",
         "invalid_selection_field"),
        ("/users/st-1", {"fields": "ssn"}, "invalid-selection-field", "invalid_selection_field"),
        ("/classes", {"limit": "0"}, "invalid-query", "invalid_data"),
        ("/classes", {"offset": "x"}, "invalid-query", "invalid_data"),
        ("/classes/k-4a/students", {"filter": "title='x'"}, "invalid-filter-field",
         "invalid_filter_field"),
    ],
)  # fmt: skip
async def test_bad_query_parameters_are_400_problems(
    client: ServiceClient, north: North, path: str, params: dict[str, str], slug: str, code: str
) -> None:
    answer = await client.get(API + path, params=params, headers=client.as_(north.admin))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == f"{PROBLEM_TYPE_BASE}{slug}" and problem["codeMinor"] == code
    assert problem["detail"]


async def test_who_may_call_it(client: ServiceClient, north: North) -> None:
    d = north.district
    refused = [
        make_principal(d, roles=["teacher"], user_id=north.ids["t-1"]),
        make_principal(d, roles=["student"], user_id=north.ids["st-1"]),
        make_principal(d, roles=["guardian"]),
        make_principal(d, kind="client", scopes=["profiles:read", "pathways:read"]),
    ]
    for who in refused:
        for path in ("/users", "/users/st-1", "/orgs", "/classes/k-4a/students"):
            status, body, _ = await _get(client, who, path)
            assert status == 403, (who, path, body)
    allowed = [north.admin, make_principal(d, kind="client", scopes=["roster:read"])]
    for who in allowed:
        status, body, _ = await _get(client, who, "/users", filter="role='student'")
        assert status == 200 and sorted(_ids(body, "users")) == ["st-1", "st-2", "st-3"]


async def test_a_school_admin_sees_their_schools_only(client: ServiceClient, north: North) -> None:
    who = north.s1_admin
    _, body, _ = await _get(client, who, "/schools")
    assert _ids(body, "orgs") == ["s1"]
    _, body, _ = await _get(client, who, "/orgs")
    assert sorted(_ids(body, "orgs")) == sorted([str(north.district), "s1"])
    district = next(o for o in body["orgs"] if o["type"] == "district")
    assert [c["sourcedId"] for c in district["children"]] == ["s1"]
    _, body, _ = await _get(client, who, "/students")
    assert sorted(_ids(body, "users")) == ["st-1", "st-2"]  # st-3 is s2's
    for path in ("/schools/s2", "/users/st-3", "/schools/s2/students"):
        status, body, _ = await _get(client, who, path)
        assert status == 404, (path, body)
    # Sessions are the district's: all of them.
    _, body, _ = await _get(client, who, "/academicSessions")
    assert sorted(_ids(body, "academicSessions")) == ["t1", "y2026"]


async def test_another_district_sees_nothing_of_this_one(
    client: ServiceClient, north: North
) -> None:
    other = admin_of(await new_district(client))
    for path in ("/users/st-1", "/classes/k-4a", "/schools/s1", f"/orgs/{north.district}",
                 "/enrollments/e1", "/academicSessions/t1", "/classes/k-4a/students",
                 f"/users/{north.ids['st-1']}"):  # fmt: skip
        status, body, _ = await _get(client, other, path)
        assert status == 404, (path, body)
        assert "Silva" not in str(body)
    _, body, headers = await _get(client, other, "/users", filter="familyName='Silva'")
    assert body == {"users": []} and headers["x-total-count"] == "0"


async def test_the_learners_an_answer_shows_are_named_for_the_audit(
    client: ServiceClient, north: North
) -> None:
    """Students only (not the teacher), also when ``fields`` leaves their ids out; the gateway
    reads this header and does not pass it on."""

    async def named(path: str, **params: str) -> set[uuid.UUID]:
        answer = await client.get(API + path, params=params, headers=client.as_(north.admin))
        assert answer.status_code == 200, answer.text
        lines = answer.headers.get_list(LEARNERS_HEADER)
        return {uuid.UUID(i) for line in lines for i in line.split(",")}

    students = {north.ids[s] for s in ("st-1", "st-2", "st-3")}
    assert await named("/users", fields="givenName") == students
    assert await named("/enrollments") == students
    assert await named("/classes/k-4a/students") == {north.ids["st-1"], north.ids["st-2"]}
    assert await named("/users/st-2") == {north.ids["st-2"]}
    assert await named("/users/t-1") == set()
    assert await named("/teachers") == set()
    assert await named("/classes") == set()
