"""The audit log through the real gateway: reads and changes of a learner's records are recorded
(actor, learner, operation, time, request id), also when only the answer names the learner (an
attempt); a district admin searches it; a guardian sees who looked at their own child's records,
and nobody else's."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pathwise_devstack.testing import dev_login, gateway_token
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

CHILD = demo_id("learner", "learner-01")  # guardian-01's child, in teacher-01's class
OTHER_CHILD = demo_id("learner", "learner-11")


def _subject(gw: httpx.Client, headers: dict[str, str]) -> str:
    me = gw.get("/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    return str(me.json()["subject"])


def _elsewhere(role: str) -> dict[str, str]:
    uid = uuid.uuid4()
    principal = Principal(subject=str(uid), district_id=uuid.uuid4(), roles=frozenset({role}),
                          user_id=uid)  # fmt: skip
    return gateway_token(principal, ttl_seconds=300)


def test_guardian_sees_who_looked_at_their_child(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-01")
    trace = f"audit-{uuid.uuid4().hex[:12]}"
    read = gw.get(f"/v1/learners/{CHILD}/profile", headers={**teacher, "X-Request-ID": trace})
    assert read.status_code == 200, read.text
    overview = gw.get(f"/v1/learners/{CHILD}/overview", headers={**teacher, "X-Request-ID": trace})
    assert overview.status_code == 200, overview.text
    change = gw.post(f"/v1/learners/{CHILD}/goals", json={}, headers=teacher)
    assert change.status_code == 422  # refused by profiles, but the attempt is recorded

    seen = gw.get(f"/v1/audit/learners/{CHILD}", headers=guardian)
    assert seen.status_code == 200, seen.text
    entries = seen.json()["items"]
    teacher_id = _subject(gw, teacher)
    mine = [e for e in entries if e["request_id"] == trace]
    assert {e["operation"] for e in mine} >= {"getLearnerOverview"}
    assert len(mine) == 2
    for entry in mine:
        assert entry["actor"] == teacher_id
        assert entry["actor_roles"] == ["teacher"]
        assert entry["learner_id"] == str(CHILD)
        assert entry["action"] == "read" and entry["status"] == 200
        assert datetime.fromisoformat(entry["occurred_at"]) > datetime.now(UTC) - timedelta(
            minutes=5
        )
    writes = [e for e in entries if e["action"] == "write" and e["actor"] == teacher_id]
    assert writes and writes[0]["method"] == "POST" and writes[0]["status"] == 422
    assert all(e["learner_id"] == str(CHILD) for e in entries)


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

    seen = gw.get(f"/v1/audit/learners/{child}", headers=dev_login(gw, "guardian-08"))
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
    # Another guardian's child's log does not include it.
    mine = gw.get(f"/v1/audit/learners/{CHILD}", headers=dev_login(gw, "guardian-01")).json()
    assert all(e["request_id"] != trace for e in mine["items"])


def test_guardian_sees_no_other_child(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-01")
    other = gw.get(f"/v1/audit/learners/{OTHER_CHILD}", headers=guardian)
    assert other.status_code == 403
    assert other.headers["content-type"] == "application/problem+json"
    elsewhere = gw.get(f"/v1/audit/learners/{CHILD}", headers=_elsewhere("guardian"))
    assert elsewhere.status_code == 404
    teacher = gw.get(f"/v1/audit/learners/{CHILD}", headers=dev_login(gw, "teacher-01"))
    assert teacher.status_code == 403
    bad = gw.get("/v1/audit/learners/not-a-uuid", headers=guardian)
    assert bad.status_code == 404  # a malformed id names no learner
    assert bad.headers["content-type"] == "application/problem+json"


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


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"learner_id": "nope"}, 422),
        ({"limit": 5000}, 422),
        ({"cursor": "%%%"}, 400),
        ({"since": "2026-01-01T00:00:00"}, 422),
        ({"actor": ""}, 422),
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
