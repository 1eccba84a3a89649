"""The audit log through the real gateway: reads and changes of a learner's records are recorded
(actor, learner, operation, time, request id), also when only the answer names the learner (an
attempt); entries are named when read (actor and learner by name and role, the operation in
words, a purpose); a district admin searches it by learner, actor, operation and time; a
guardian reads, in plain words, who viewed or changed their own child's records, and nobody
else's, with no staff id in sight."""

import io
import json
import re
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import dev_login, gateway_token
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

DISTRICT = demo_id("district", "riverside")
CHILD = demo_id("learner", "learner-01")  # guardian-01's child, in teacher-01's class
OTHER_CHILD = demo_id("learner", "learner-11")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _subject(gw: httpx.Client, headers: dict[str, str]) -> str:
    me = gw.get("/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    return str(me.json()["subject"])


def _elsewhere(role: str) -> dict[str, str]:
    uid = uuid.uuid4()
    principal = Principal(subject=str(uid), district_id=uuid.uuid4(), roles=frozenset({role}),
                          user_id=uid)  # fmt: skip
    return gateway_token(principal, ttl_seconds=300)


def _access_log(gw: httpx.Client, child: uuid.UUID, guardian: str, **params: Any) -> Any:
    seen = gw.get(
        f"/v1/learners/{child}/access-log", params=params, headers=dev_login(gw, guardian)
    )
    assert seen.status_code == 200, seen.text
    return seen.json()


def test_guardian_reads_in_plain_words_who_looked_at_their_child(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-01")
    admin = dev_login(gw, "admin-district")
    earlier = gw.get(f"/v1/learners/{CHILD}/pathway", headers=teacher)
    assert earlier.status_code in (200, 404)  # no pathway planned yet: still a recorded read
    trace = f"audit-{uuid.uuid4().hex[:12]}"
    read = gw.get(f"/v1/learners/{CHILD}/profile", headers={**teacher, "X-Request-ID": trace})
    assert read.status_code == 200, read.text
    change = gw.post(f"/v1/learners/{CHILD}/goals", json={}, headers=teacher)
    assert change.status_code == 422  # refused by profiles, but the attempt is recorded

    page = _access_log(gw, CHILD, "guardian-01", limit=2)
    newest, viewed = page["items"]
    assert viewed["summary"] == "Ana Rivera (teacher) viewed the learning profile"
    assert (viewed["actor_name"], viewed["actor_role"]) == ("Ana Rivera", "teacher")
    assert viewed["activity"] == "viewed the learning profile" and viewed["action"] == "read"
    assert viewed["purpose"] == "teaching" and viewed["succeeded"] is True
    assert datetime.fromisoformat(viewed["occurred_at"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert newest["summary"] == (
        "Ana Rivera (teacher) added a goal (the request failed: nothing was shown or changed)"
    )
    assert newest["succeeded"] is False and newest["action"] == "write"
    # Names and roles only: no staff id, no learner id, no path or request id anywhere.
    assert set(viewed) == {"occurred_at", "actor_name", "actor_role", "action", "activity",
                           "purpose", "succeeded", "summary"}  # fmt: skip
    assert not _UUID.search(str(page["items"])) and trace not in str(page["items"])

    # Pages: newest first, the cursor goes on where the page ended.
    assert page["next_cursor"]
    second = _access_log(gw, CHILD, "guardian-01", limit=2, cursor=page["next_cursor"])
    assert second["items"][0]["activity"] == "viewed the learning pathway"
    first_three = _access_log(gw, CHILD, "guardian-01", limit=3)["items"]
    assert first_three == [newest, viewed, second["items"][0]]

    # An admin's view of the same learner: ids and names side by side.
    admin_view = gw.get(f"/v1/audit/learners/{CHILD}", params={"limit": 2}, headers=admin)
    assert admin_view.status_code == 200, admin_view.text
    entry = admin_view.json()["items"][1]
    assert entry["request_id"] == trace and entry["actor"] == _subject(gw, teacher)
    assert entry["actor_name"] == "Ana Rivera" and entry["actor_roles"] == ["teacher"]
    assert entry["learner_id"] == str(CHILD) and entry["learner_name"]
    assert entry["operation"] == "get_profile" and entry["status"] == 200
    assert entry["summary"] == viewed["summary"] and entry["purpose"] == "teaching"


def test_guardian_sees_that_the_childs_attempt_was_read(gw: httpx.Client) -> None:
    """``/v1/attempts/{id}`` names no learner: the entry names the one the attempt belongs to."""
    # learner-08 / guardian-08: no other module touches them.
    child = demo_id("learner", "learner-08")
    student = dev_login(gw, "learner-08")
    teacher = dev_login(gw, "teacher-01")
    check = demo_id("assessment", "skill-check/3.NF.A.1")
    started = gw.post(
        f"/v1/assessments/{check}/attempts", json={"learner_id": str(child)}, headers=student
    )
    assert started.status_code == 201, started.text
    attempt = started.json()["id"]
    trace = f"attempt-{uuid.uuid4().hex[:12]}"
    read = gw.get(f"/v1/attempts/{attempt}", headers={**teacher, "X-Request-ID": trace})
    assert read.status_code == 200, read.text
    # Refused before anything is read: another district's teacher gets the service's 404.
    hidden = gw.get(f"/v1/attempts/{attempt}", headers=_elsewhere("teacher"))
    assert hidden.status_code == 404

    admin = dev_login(gw, "admin-district")
    seen = gw.get(f"/v1/audit/learners/{child}", headers=admin)
    assert seen.status_code == 200, seen.text
    entries = seen.json()["items"]
    reads = [e for e in entries if e["request_id"] == trace]
    assert len(reads) == 1, entries
    entry = reads[0]
    assert entry["actor"] == _subject(gw, teacher) and entry["actor_roles"] == ["teacher"]
    assert entry["learner_id"] == str(child)
    assert (entry["method"], entry["path"]) == ("GET", f"/v1/attempts/{attempt}")
    assert entry["action"] == "read" and entry["status"] == 200
    started_entries = [
        e for e in entries if e["method"] == "POST" and e["path"].endswith(f"{check}/attempts")
    ]
    assert started_entries and started_entries[0]["actor"] == _subject(gw, student)
    assert started_entries[0]["action"] == "write" and started_entries[0]["status"] == 201
    student_name = started_entries[0]["actor_name"]
    assert student_name == started_entries[0]["learner_name"]  # the learner started it

    # The guardian reads both, in words.
    log = [e["summary"] for e in _access_log(gw, child, "guardian-08")["items"]]
    assert log[:2] == [
        "Ana Rivera (teacher) viewed a skill check and its answers",
        f"{student_name} (student) started a skill check",
    ]
    # Another child's log does not include it (learner-01 takes skill checks of its own in other
    # tests of this stack: the read is looked for by its request id, in the entries behind it).
    others = gw.get(f"/v1/audit/learners/{CHILD}", headers=admin, params={"limit": 200})
    assert others.status_code == 200, others.text
    assert all(e["request_id"] != trace for e in others.json()["items"])


def test_guardian_sees_no_other_child(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-01")
    for path in (f"/v1/learners/{OTHER_CHILD}/access-log", f"/v1/audit/learners/{CHILD}"):
        # Another family's child (as every learner route: no relation → 403); and the admins'
        # view with staff ids, even of their own child.
        other = gw.get(path, headers=guardian)
        assert other.status_code == 403, path
        assert other.headers["content-type"] == "application/problem+json"
    elsewhere = gw.get(f"/v1/learners/{CHILD}/access-log", headers=_elsewhere("guardian"))
    assert elsewhere.status_code == 404
    for username in ("teacher-01", "learner-01"):
        refused = gw.get(f"/v1/learners/{CHILD}/access-log", headers=dev_login(gw, username))
        assert refused.status_code == 403, username
    bad = gw.get("/v1/learners/not-a-uuid/access-log", headers=guardian)
    assert bad.status_code in (404, 422)  # a malformed id names no learner
    assert bad.headers["content-type"] == "application/problem+json"
    assert (
        gw.get(
            f"/v1/learners/{CHILD}/access-log", params={"cursor": "%%%"}, headers=guardian
        ).status_code
        == 400
    )


def test_someone_no_longer_in_the_roster_reads_as_a_placeholder(gw: httpx.Client) -> None:
    """An actor profiles cannot name (deleted since, or never rostered) reads as words, not as
    an id and not as an error."""
    ghost = uuid.uuid4()
    principal = Principal(subject=str(ghost), district_id=DISTRICT,
                          roles=frozenset({"district_admin"}), user_id=ghost)  # fmt: skip
    read = gw.get(f"/v1/learners/{CHILD}/goals", headers=gateway_token(principal))
    assert read.status_code == 200, read.text
    admin = dev_login(gw, "admin-district")
    found = gw.get("/v1/audit", params={"actor": str(ghost)}, headers=admin)
    assert found.status_code == 200, found.text
    (entry,) = found.json()["items"]
    assert entry["actor_name"] == "Someone no longer in the district's roster"
    assert entry["summary"] == (
        "Someone no longer in the district's roster (district administrator) viewed the goals"
    )
    assert entry["purpose"] == "district administration"
    newest = _access_log(gw, CHILD, "guardian-01", limit=1)["items"][0]
    assert newest["summary"] == entry["summary"]


def test_district_admin_searches_the_log(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    teacher = dev_login(gw, "teacher-01")
    teacher_id = _subject(gw, teacher)
    for _ in range(3):
        assert gw.get(f"/v1/learners/{CHILD}/goals", headers=teacher).status_code == 200

    query: dict[str, str | int] = {"learner_id": str(CHILD), "actor": teacher_id, "limit": 2}
    first = gw.get("/v1/audit", params=query, headers=admin)
    assert first.status_code == 200, first.text
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert all(e["actor"] == teacher_id and e["learner_id"] == str(CHILD) for e in page["items"])
    assert all(e["summary"] == "Ana Rivera (teacher) viewed the goals" for e in page["items"])
    second = gw.get("/v1/audit", params={**query, "cursor": page["next_cursor"]}, headers=admin)
    assert second.status_code == 200, second.text
    ids_first = [e["id"] for e in page["items"]]
    ids_second = [e["id"] for e in second.json()["items"]]
    assert ids_second and not set(ids_first) & set(ids_second)
    assert ids_first + ids_second == sorted(ids_first + ids_second, reverse=True)  # newest first

    now = datetime.now(UTC)
    recent = gw.get(
        "/v1/audit",
        params={**query, "since": (now - timedelta(minutes=10)).isoformat()},
        headers=admin,
    )
    assert len(recent.json()["items"]) == 2
    past = gw.get(
        "/v1/audit",
        params={**query, "until": (now - timedelta(days=1)).isoformat()},
        headers=admin,
    )
    assert past.status_code == 200 and past.json()["items"] == []

    # Another district's admin sees none of this district's entries.
    other = gw.get(
        "/v1/audit", params={"learner_id": str(CHILD)}, headers=_elsewhere("district_admin")
    )
    assert other.status_code == 200 and other.json()["items"] == []


def test_district_admin_filters_by_operation(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    teacher = dev_login(gw, "teacher-01")
    child = demo_id("learner", "learner-02")
    assert gw.get(f"/v1/learners/{child}/mastery", headers=teacher).status_code == 200
    assert gw.get(f"/v1/learners/{child}/overview", headers=teacher).status_code == 200
    since = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    base = {"learner_id": str(child), "since": since}
    for operation, expected in (
        ("get_learner_mastery", "get_learner_mastery"),
        ("GET /v1/learners/{learner_id}/mastery", "get_learner_mastery"),
        ("get /v1/learners/{learner_id}/mastery", "get_learner_mastery"),
        # The gateway's own overview records under its aggregate name; its route finds it.
        ("GET /v1/learners/{learner_id}/overview", "getLearnerOverview"),
    ):
        found = gw.get("/v1/audit", params={**base, "operation": operation}, headers=admin)
        assert found.status_code == 200, (operation, found.text)
        items = found.json()["items"]
        assert items and {e["operation"] for e in items} == {expected}, operation
    overview = gw.get(
        "/v1/audit", params={**base, "operation": "getLearnerOverview"}, headers=admin
    ).json()["items"][0]
    assert overview["summary"] == "Ana Rivera (teacher) viewed the learner overview"
    none = gw.get("/v1/audit", params={**base, "operation": "list_items"}, headers=admin)
    assert none.status_code == 200 and none.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"learner_id": "nope"}, 422),
        ({"limit": 5000}, 422),
        ({"cursor": "%%%"}, 400),
        ({"since": "2026-01-01T00:00:00"}, 422),
        ({"actor": ""}, 422),
        ({"operation": ""}, 422),
        ({"operation": "GET /v1/no/such/route"}, 422),
        ({"operation": "x" * 301}, 422),
    ],
)
def test_audit_search_bad_input(
    gw: httpx.Client, params: dict[str, str | int], status: int
) -> None:
    admin = dev_login(gw, "admin-district")
    answer = gw.get("/v1/audit", params=params, headers=admin)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_only_district_admins_search_and_nobody_rewrites(gw: httpx.Client) -> None:
    for username in ("admin-riverside-elementary", "teacher-01", "guardian-01", "learner-01"):
        answer = gw.get("/v1/audit", headers=dev_login(gw, username))
        assert answer.status_code == 403, username
    admin = dev_login(gw, "admin-district")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        # No operation changes the log: the log is read-only (405, and Allow says so).
        answer = gw.request(method, "/v1/audit", headers=admin)
        assert answer.status_code == 405, (method, answer.text)
        assert answer.headers["allow"] == "GET"


def test_a_guardian_reads_another_guardian_of_the_child_by_role_only(gw: httpx.Client) -> None:
    """learner-07 has a second guardian (a separated parent): each guardian's access log shows
    the other as "Another parent or guardian", with no name and no id; the teacher stays named
    (FERPA's record of disclosures names school officials); admins still see everyone."""
    child = demo_id("learner", "learner-07")
    admin = dev_login(gw, "admin-district")
    username = f"second-parent-{uuid.uuid4().hex[:8]}"
    made = gw.post("/v1/users", headers=admin, json={
        "username": username, "given_name": "Morgan", "family_name": "Okafor-Lind",
        "roles": ["guardian"],
    })  # fmt: skip
    assert made.status_code == 201, made.text
    second_id = made.json()["id"]
    link = gw.post("/v1/guardians", headers=admin,
                   json={"guardian_id": second_id, "student_id": str(child)})  # fmt: skip
    assert link.status_code == 201, link.text
    try:
        first, second = dev_login(gw, "guardian-07"), dev_login(gw, username)
        teacher = dev_login(gw, "teacher-01")
        for headers in (teacher, second, first):
            read = gw.get(f"/v1/learners/{child}/profile", headers=headers)
            assert read.status_code == 200, read.text
        first_id = _subject(gw, first)
        named = {e["actor"]: e["actor_name"] for e in gw.get(
            f"/v1/audit/learners/{child}", params={"limit": 3}, headers=admin).json()["items"]}  # fmt: skip
        # Admins: everyone by name and id.
        assert named[second_id] == "Morgan Okafor-Lind" and first_id in named

        page = _access_log(gw, child, "guardian-07", limit=3)
        own, other, staff = page["items"]
        assert (
            own["summary"] == f"{named[first_id]} (parent or guardian) viewed the learning profile"
        )
        assert (other["actor_name"], other["actor_role"]) == (
            "Another parent or guardian",
            "parent or guardian",
        )
        assert other["summary"] == "Another parent or guardian viewed the learning profile"
        assert staff["summary"] == "Ana Rivera (teacher) viewed the learning profile"
        text = str(page)
        assert "Morgan" not in text and "Okafor" not in text and second_id not in text
        assert not _UUID.search(text)

        # And the other way round: the second guardian does not read the first one's name.
        theirs = _access_log(gw, child, username, limit=3)["items"]
        assert [e["actor_name"] for e in theirs] == [
            "Another parent or guardian",
            "Morgan Okafor-Lind",
            "Ana Rivera",
        ]
        assert named[first_id] not in str(theirs)

        # The first guardian's export: its access_log.json hides the other guardian the same way.
        made = gw.post(f"/v1/learners/{child}/exports", headers=first)
        assert made.status_code == 202, made.text
        deadline = time.monotonic() + 60
        while (job := gw.get(made.headers["location"], headers=first).json())["state"] in (
            "queued", "running"
        ):  # fmt: skip
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["state"] == "succeeded", job
        got = gw.get(job["download"], headers=first)
        assert got.status_code == 200, got.text
        archived = json.loads(zipfile.ZipFile(io.BytesIO(got.content)).read("access_log.json"))
        theirs_archived = [e for e in archived if "guardian" in e["actor_roles"]
                           and e["actor"] != first_id]  # fmt: skip
        assert theirs_archived and all(
            (e["actor"], e["actor_name"]) == ("", "Another parent or guardian")
            for e in theirs_archived
        )
        assert "Morgan" not in json.dumps(archived) and second_id not in json.dumps(archived)
        assert "Ana Rivera" in json.dumps(archived)
    finally:
        ended = gw.delete(f"/v1/guardians/{link.json()['id']}", headers=admin)
        assert ended.status_code == 204, ended.text
