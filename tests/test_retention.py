"""Retention policies and legal holds from outside (docs/privacy.md): the real gateway in front of
the real services on a stack of this module's own (the evaluation looks at every district with a
policy on; no other test's learners should be found due).

The district admin sets a policy; learners whose only enrollment ended in 2020 are found due by
the scheduled evaluation (run here once with the real clock, as the service's background task
would), an under-13 one by the shorter rule; a held one is listed as held; an enrolled one is not
listed. A held learner cannot be deleted through the user routes; nothing changes. Teachers and
school admins cannot set a hold or read the report; another district's admin finds nothing.
The gateway's audit log sweep reads the districts' ``audit_log_days`` from profiles and deletes
only the entries of a district whose policy sets one, older than that.
"""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import TEST_SECRET, dev_login, gateway_token, start_stack
from pathwise_gateway.models import AuditEntry
from pathwise_gateway.proxy.service.audit_retention import POLICIES_PATH, sweep_audit_log
from pathwise_gateway.seed import DEMO_DISTRICT
from pathwise_profiles.models import outbox
from pathwise_profiles.service.retention import sweep_retention
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

pytestmark = pytest.mark.integration

CLASS = demo_id("class", "grade3-math")
SCHOOL = demo_id("school", "riverside-elementary")
POLICY = f"/v1/districts/{DEMO_DISTRICT}/retention-policy"
REPORT = f"/v1/districts/{DEMO_DISTRICT}/retention-report"
VALID = {
    "enabled": True,
    "delete_after_days_since_leaving": 365,
    "delete_after_days_since_leaving_under_13": 90,
    "audit_log_days": 730,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("retention")) as running:
        yield running


@pytest.fixture(scope="module")
def gw(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url("gateway"), timeout=20.0) as client:
        yield client


@pytest.fixture(scope="module")
def admin(gw: httpx.Client) -> dict[str, str]:
    return dev_login(gw, "admin-district")


def _sweep(demo: Stack) -> int:
    async def go() -> int:
        db = Database(demo.config.database_urls["profiles"], outbox=outbox)
        try:
            async with unit_of_work(db) as session:
                return await sweep_retention(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _student(
    gw: httpx.Client, admin: dict[str, str], name: str, *, ended: date | None, born: date | None
) -> uuid.UUID:
    body: dict[str, Any] = {
        "username": f"{name}-{uuid.uuid4().hex[:8]}",
        "given_name": name,
        "family_name": "Retention",
        "roles": ["student"],
        "school_ids": [str(SCHOOL)],
    }
    if born is not None:
        body["birth_date"] = born.isoformat()
    created = gw.post("/v1/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    learner = uuid.UUID(created.json()["id"])
    enrollment: dict[str, Any] = {"user_id": str(learner), "role": "student"}
    if ended is not None:
        enrollment |= {"begin_date": "2019-09-01", "end_date": ended.isoformat()}
    enrolled = gw.post(f"/v1/classes/{CLASS}/enrollments", json=enrollment, headers=admin)
    assert enrolled.status_code == 201, enrolled.text
    return learner


def test_policy_defaults_validation_and_roles(gw: httpx.Client, admin: dict[str, str]) -> None:
    default = gw.get(POLICY, headers=admin)
    assert default.status_code == 200, default.text
    assert default.json()["enabled"] is False and default.json()["is_default"] is True

    longer = {**VALID, "delete_after_days_since_leaving_under_13": 400}
    refused = gw.put(POLICY, json=longer, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/retention-policy-invalid")
    assert refused.json()["errors"][0]["field"] == "delete_after_days_since_leaving_under_13"
    for bad in ({**VALID, "delete_after_days_since_leaving": 1},
                {**VALID, "delete_after_days_since_leaving": 99999},
                {**VALID, "enabled": "yes"},
                {**VALID, "delete_after_days": 30}):  # fmt: skip
        answer = gw.put(POLICY, json=bad, headers=admin)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert gw.get(POLICY, headers=admin).json()["is_default"] is True  # nothing was stored

    for username in ("teacher-01", "admin-riverside-elementary", "learner-01", "guardian-01"):
        headers = dev_login(gw, username)
        assert gw.get(REPORT, headers=headers).status_code == 403, username
        assert gw.put(POLICY, json=VALID, headers=headers).status_code == 403, username

    other_district = uuid.uuid4()
    uid = uuid.uuid4()
    principal = Principal(
        subject=str(uid),
        kind="user",
        district_id=other_district,
        roles=frozenset({"district_admin"}),
        user_id=uid,
    )
    stranger = gateway_token(principal)
    for answer in (
        gw.get(REPORT, headers=stranger),
        gw.get(POLICY, headers=stranger),
        gw.put(POLICY, json=VALID, headers=stranger),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["type"].endswith("/district-not-found")
    learner = demo_id("learner", "learner-01")
    hold = gw.put(f"/v1/learners/{learner}/legal-hold", json={"reason": "x" * 10}, headers=stranger)
    assert hold.status_code == 404, hold.text


def test_due_held_and_enrolled_learners_in_the_report(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    today = utcnow().date()
    young = _student(gw, admin, "Young", ended=date(2020, 6, 1), born=date(2012, 5, 5))
    held = _student(gw, admin, "Held", ended=date(2020, 6, 1), born=None)
    enrolled = _student(gw, admin, "Enrolled", ended=None, born=None)
    recent = _student(gw, admin, "Recent", ended=today - timedelta(days=10), born=None)

    teacher = dev_login(gw, "teacher-01")
    path = f"/v1/learners/{held}/legal-hold"
    assert gw.put(path, json={"reason": "Records request"}, headers=teacher).status_code == 403
    assert gw.get(path, headers=admin).status_code == 404  # never had one
    past = gw.put(path, json={"reason": "Records request", "until": "2001-01-01"}, headers=admin)
    assert past.status_code == 422, past.text
    set_ = gw.put(path, json={"reason": "Records request, case 14"}, headers=admin)
    assert set_.status_code == 200, set_.text
    assert set_.json()["active"] is True and set_.json()["until"] is None
    read = gw.get(path, headers=admin)
    assert read.status_code == 200 and read.json()["reason"] == "Records request, case 14"

    assert gw.put(POLICY, json=VALID, headers=admin).status_code == 200
    assert gw.get(REPORT, headers=admin).json()["last_run_at"] is None
    assert _sweep(demo) >= 2

    report = gw.get(REPORT, headers=admin)
    assert report.status_code == 200, report.text
    body = report.json()
    # Carried out by the gateway's deletion job at its next round (tests/
    # test_retention_deletion.py; hourly by default, so not during this test).
    assert body["executed"] is True and "deletion job erases" in body["execution"]
    assert body["last_run_at"] is not None and body["policy"]["enabled"] is True
    pending = {item["learner_id"]: item for item in body["pending"]}
    held_back = {item["learner_id"]: item for item in body["held"]}
    assert pending[str(young)]["rule"] == "left_under_13"
    assert pending[str(young)]["left_on"] == "2020-06-01"
    assert pending[str(young)]["due_since"] == "2020-08-30"
    assert held_back[str(held)]["rule"] == "left"
    assert held_back[str(held)]["due_since"] == "2021-06-01"
    assert held_back[str(held)]["hold_reason"] == "Records request, case 14"
    assert str(held) not in pending
    for absent in (enrolled, recent):
        assert str(absent) not in pending and str(absent) not in held_back
    assert body["counts"] == {"pending": len(pending), "held": len(held_back), "deleted": 0}

    # A held learner is not deleted through the user routes: 409, nothing changed.
    before = gw.get(f"/v1/users/{held}", headers=admin).json()
    for attempt in (
        gw.delete(f"/v1/users/{held}", headers=admin),
        gw.patch(f"/v1/users/{held}", json={"status": "tobedeleted"}, headers=admin),
    ):
        assert attempt.status_code == 409, attempt.text
        assert attempt.json()["type"].endswith("/legal-hold-active")
    assert gw.get(f"/v1/users/{held}", headers=admin).json() == before
    # The learner's enrollment was not ended either (a delete ends it in the same transaction).
    mine = gw.get("/v1/enrollments", headers=admin, params={"class_id": str(CLASS), "limit": 200})
    assert mine.status_code == 200, mine.text
    rows = [e for e in mine.json()["items"] if e["user_id"] == str(held)]
    assert [e["status"] for e in rows] == ["active"], rows

    # Setting a hold takes a pending learner out of the deletion job's reach at once.
    assert gw.put(f"/v1/learners/{young}/legal-hold", json={"reason": "Court order"},
                  headers=admin).status_code == 200  # fmt: skip
    now_held = {i["learner_id"] for i in gw.get(REPORT, headers=admin).json()["held"]}
    assert str(young) in now_held

    # Lifting: the record stays; the next evaluation finds the learner pending again.
    assert gw.delete(path, headers=admin).status_code == 204
    again = gw.delete(path, headers=admin)
    assert again.status_code == 404 and again.json()["type"].endswith("/legal-hold-not-found")
    lifted = gw.get(path, headers=admin).json()
    assert lifted["active"] is False and lifted["lifted_at"] is not None
    _sweep(demo)
    after = gw.get(REPORT, headers=admin).json()
    assert str(held) in {i["learner_id"] for i in after["pending"]}
    assert gw.delete(f"/v1/users/{held}", headers=admin).status_code == 204

    # Turning the policy off: nothing is due any more.
    off = gw.put(POLICY, json={**VALID, "enabled": False}, headers=admin)
    assert off.status_code == 200, off.text
    off_report = gw.get(REPORT, headers=admin).json()
    assert off_report["counts"] == {"pending": 0, "held": 0, "deleted": 0}
    assert off_report["executed"] is False


def test_birth_date_is_a_students_only(gw: httpx.Client, admin: dict[str, str]) -> None:
    body = {"username": f"t-{uuid.uuid4().hex[:8]}", "given_name": "T", "family_name": "R",
            "roles": ["teacher"], "birth_date": "1980-01-01"}  # fmt: skip
    assert gw.post("/v1/users", json=body, headers=admin).status_code == 422
    future = {**body, "roles": ["student"], "birth_date": "2999-01-01"}
    assert gw.post("/v1/users", json=future, headers=admin).status_code == 422


def test_birth_date_reaches_the_district_admin_not_a_teacher(
    gw: httpx.Client, admin: dict[str, str]
) -> None:
    # Through the gateway as the routes answer it (docs/privacy.md, "Under 13"): a teacher of the
    # learner's class reads the record with a null birth date, the district admin with the date.
    learner = _student(gw, admin, "Born", ended=None, born=date(2015, 4, 2))
    path = f"/v1/users/{learner}"
    shown = gw.get(path, headers=admin)
    assert shown.status_code == 200 and shown.json()["birth_date"] == "2015-04-02", shown.text
    teacher = gw.get(path, headers=dev_login(gw, "teacher-01"))
    assert teacher.status_code == 200, teacher.text
    assert teacher.json()["id"] == str(learner) and teacher.json()["birth_date"] is None


def _internal(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_internal_token(principal, TEST_SECRET)}"}


def _audit_entry(district: uuid.UUID, days_ago: int, tag: str) -> dict[str, Any]:
    return {
        "id": new_id(), "occurred_at": utcnow() - timedelta(days=days_ago),
        "district_id": district, "actor": str(uuid.uuid4()), "actor_kind": "user",
        "actor_roles": ["teacher"], "learner_id": uuid.uuid4(), "class_id": None,
        "operation": "get_profile", "action": "read", "method": "GET",
        "path": "/v1/learners/x/profile", "status": 200, "request_id": tag,
    }  # fmt: skip


def test_the_audit_log_keeps_audit_log_days_of_the_districts_policy(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    profiles = demo.config.url("profiles")
    system = _internal(Principal(subject="system:audit-retention", kind="system"))
    on = gw.put(POLICY, json={**VALID, "audit_log_days": 100}, headers=admin)
    assert on.status_code == 200, on.text
    listed = httpx.get(f"{profiles}{POLICIES_PATH}", headers=system)
    assert listed.status_code == 200, listed.text
    assert {"district_id": str(DEMO_DISTRICT), "audit_log_days": 100} in listed.json()["districts"]
    # The system only: a user's token reaching profiles directly is refused.
    user = Principal(subject=str(uuid.uuid4()), kind="user", district_id=DEMO_DISTRICT,
                     roles=frozenset({"district_admin"}), user_id=uuid.uuid4())  # fmt: skip
    refused = httpx.get(f"{profiles}{POLICIES_PATH}", headers=_internal(user))
    assert refused.status_code == 403 and refused.json()["type"].endswith("/system-only")

    # Another district, with no policy, has entries as old as the demo district's.
    elsewhere = uuid.uuid4()
    rows = [_audit_entry(DEMO_DISTRICT, 101, "demo-old"), _audit_entry(DEMO_DISTRICT, 99, "demo-99"),
            _audit_entry(elsewhere, 4000, "other-ancient"), _audit_entry(elsewhere, 101, "other-old")]  # fmt: skip
    tags = {r["request_id"] for r in rows}

    async def policies() -> Any:
        async with httpx.AsyncClient(base_url=profiles) as client:
            answer = await client.get(POLICIES_PATH, headers=system)
            assert answer.status_code == 200, answer.text
            return answer.json()

    async def go(sweep: bool) -> set[str]:
        db = Database(demo.config.database_urls["gateway"])
        try:
            async with unit_of_work(db, write=True) as session:
                if not sweep:
                    await session.execute(insert(AuditEntry), rows)
                else:
                    await sweep_audit_log(session, policies)
            async with unit_of_work(db, read_only=True) as session:
                found = await session.execute(
                    select(AuditEntry.request_id).where(AuditEntry.request_id.in_(tags))
                )
                return set(found.scalars())
        finally:
            await db.dispose()

    assert asyncio.run(go(sweep=False)) == tags
    assert asyncio.run(go(sweep=True)) == {"demo-99", "other-ancient", "other-old"}
    # The calls just made through the gateway are recent: still there.
    recent = gw.get("/v1/audit", params={"limit": 5}, headers=admin)
    assert recent.status_code == 200 and recent.json()["items"], recent.text

    # Off: the policy no longer lists the district, and nothing more is deleted.
    off = gw.put(POLICY, json={**VALID, "enabled": False, "audit_log_days": 100}, headers=admin)
    assert off.status_code == 200, off.text
    listed = httpx.get(f"{profiles}{POLICIES_PATH}", headers=system).json()["districts"]
    assert str(DEMO_DISTRICT) not in {d["district_id"] for d in listed}
