"""Retention policies carried out (docs/privacy.md, "Retention"): the real gateway in front of
the real services, on a stack of this module's own (its learners are erased for good), with the
gateway's retention round every second.

While the district's policy is off (the default) nothing is due and nothing is deleted, whatever
time passes. With a policy on, the evaluation finds a learner whose enrollment ended in 2020
due; the gateway's deletion job takes them, and they are erased: no column of any row of any
table of any service holds their id, the report lists the deletion (by deletion id and
tombstone, never the id), and the certificate says the retention policy asked, with the rule.
A learner under a legal hold is never deleted, not even one whose pending row the evaluation
wrote before the hold was set (the job asks profiles again, which refuses). Profiles' internal
retention routes answer the deletion job only.
"""

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from pathwise_devstack.learner_rows import learner_traces
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, start_stack
from pathwise_gateway.deletions.domain import tombstone
from pathwise_gateway.events.models import event_log
from pathwise_gateway.seed import DEMO_DISTRICT
from pathwise_gateway.settings import GatewaySettings
from pathwise_profiles.models import outbox, pending_deletions
from pathwise_profiles.service.retention import sweep_retention
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

CLASS = demo_id("class", "grade3-math")
SCHOOL = demo_id("school", "riverside-elementary")
POLICY = f"/v1/districts/{DEMO_DISTRICT}/retention-policy"
REPORT = f"/v1/districts/{DEMO_DISTRICT}/retention-report"
SHORT = {"enabled": True, "delete_after_days_since_leaving": 30}
PEPPER = GatewaySettings(environment="test").tombstone_pepper.get_secret_value()
# The first test's learner, due too once the policy is on.
CREATED: dict[str, uuid.UUID] = {}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "GATEWAY_RETENTION_DELETION_INTERVAL_SECONDS": "1",
        "GATEWAY_DELETION_RETRY_SECONDS": "1",
    }
    with start_stack(tmp_path_factory.mktemp("retention-deletion"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def gw(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url("gateway"), timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def admin(gw: httpx.Client) -> dict[str, str]:
    return dev_login(gw, "admin-district")


def evaluate(demo: Stack) -> int:
    """Profiles' scheduled evaluation, once (its schedule is off in tests)."""

    async def go() -> int:
        db = Database(demo.config.database_urls["profiles"], outbox=outbox)
        try:
            async with unit_of_work(db) as session:
                return await sweep_retention(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def make_pending(demo: Stack, learner: uuid.UUID) -> None:
    """The learner's row as an evaluation that ran just before their hold was set left it."""

    async def go() -> None:
        db = Database(demo.config.database_urls["profiles"], outbox=outbox)
        try:
            async with unit_of_work(db) as session:
                await session.execute(
                    update(pending_deletions)
                    .where(pending_deletions.c.learner_id == learner)
                    .values(state="pending")
                )
        finally:
            await db.dispose()

    asyncio.run(go())


def gateway_events(demo: Stack, subject: str) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        db = Database(demo.config.database_urls["gateway"])
        try:
            async with db.engine.connect() as conn:
                query = select(event_log).where(event_log.c.subject == subject)
                return [dict(r) for r in (await conn.execute(query)).mappings()]
        finally:
            await db.dispose()

    return asyncio.run(go())


def left_in_2020(gw: httpx.Client, admin: dict[str, str], name: str) -> uuid.UUID:
    created = gw.post(
        "/v1/users",
        json={"username": f"{name}-{uuid.uuid4().hex[:8]}", "given_name": name,
              "family_name": "Retention", "roles": ["student"], "school_ids": [str(SCHOOL)]},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    learner = uuid.UUID(created.json()["id"])
    enrolled = gw.post(
        f"/v1/classes/{CLASS}/enrollments",
        json={"user_id": str(learner), "role": "student",
              "begin_date": "2019-09-01", "end_date": "2020-06-01"},
        headers=admin,
    )  # fmt: skip
    assert enrolled.status_code == 201, enrolled.text
    return learner


def report(gw: httpx.Client, admin: dict[str, str]) -> dict[str, Any]:
    answer = gw.get(REPORT, headers=admin)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_policy_off_deletes_no_one(demo: Stack, gw: httpx.Client, admin: dict[str, str]) -> None:
    learner = CREATED["unpoliced"] = left_in_2020(gw, admin, "Unpoliced")
    assert gw.get(POLICY, headers=admin).json()["enabled"] is False
    assert evaluate(demo) == 0
    time.sleep(3)  # three retention rounds
    assert learner_traces(demo.config.database_urls, learner).get("profiles.users") == 1
    body = report(gw, admin)
    assert body["executed"] is False and body["counts"] == {"pending": 0, "held": 0, "deleted": 0}


def test_a_learner_due_by_the_policy_is_erased_and_reported(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    due = left_in_2020(gw, admin, "Due")
    held = left_in_2020(gw, admin, "Held")
    held_late = left_in_2020(gw, admin, "HeldLate")
    hold = gw.put(f"/v1/learners/{held}/legal-hold", json={"reason": "Court order 3"},
                  headers=admin)  # fmt: skip
    assert hold.status_code == 200, hold.text

    assert gw.put(POLICY, json=SHORT, headers=admin).status_code == 200
    assert evaluate(demo) >= 3
    # A hold set after the evaluation found the learner due; the row left pending as a racing
    # evaluation could leave it: the job must ask again and be refused.
    late = gw.put(f"/v1/learners/{held_late}/legal-hold", json={"reason": "Records request"},
                  headers=admin)  # fmt: skip
    assert late.status_code == 200, late.text
    make_pending(demo, held_late)

    marks = {tombstone(PEPPER, DEMO_DISTRICT, who): who for who in (due, *CREATED.values())}
    deadline = time.monotonic() + 60
    while True:
        body = report(gw, admin)
        if {d["tombstone"] for d in body["deleted"]} >= set(marks):
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.3)
    assert body["executed"] is True
    # Those two only: no learner of the demo district is due (all enrolled).
    assert body["counts"]["deleted"] == len(marks) == len(body["deleted"])
    # Left pending (until the next evaluation), refused at every round.
    assert [p["learner_id"] for p in body["pending"]] == [str(held_late)]
    [deleted] = [d for d in body["deleted"] if marks[d["tombstone"]] == due]
    assert deleted["rule"] == "left" and deleted["left_on"] == "2020-06-01"
    assert deleted["due_since"] == "2020-07-01"
    assert str(due) not in str(body)

    # Erased everywhere: no column of any row of any table holds the id.
    assert learner_traces(demo.config.database_urls, due) == {}
    job = gw.get(f"/v1/deletions/{deleted['deletion_id']}", headers=admin)
    assert job.status_code == 200, job.text
    assert job.json()["state"] == "succeeded" and job.json()["origin"] == "retention"
    certificate = job.json()["certificate"]
    assert certificate["origin"] == "retention"
    assert certificate["requested_by"] == "retention policy"
    assert certificate["retention"] == {
        "rule": "left", "left_on": "2020-06-01", "due_since": "2020-07-01"
    }  # fmt: skip
    assert certificate["tombstone"] == deleted["tombstone"]
    assert certificate["services"]["profiles"]["deleted"]["users"] == 1
    [event] = gateway_events(demo, f"deletion/{deleted['deletion_id']}")
    assert event["envelope"]["data"]["origin"] == "retention"

    # The held learners stay, rounds later: the one held before the evaluation is listed held,
    # the one held after it is refused by profiles at every round.
    time.sleep(3)
    for learner in (held, held_late):
        traces = learner_traces(demo.config.database_urls, learner)
        assert traces.get("profiles.users") == 1, (learner, traces)
    assert report(gw, admin)["counts"]["deleted"] == len(marks)
    # A learner of the demo district still enrolled is untouched.
    assert learner_traces(demo.config.database_urls, demo_id("learner", "learner-01"))
    # The next evaluation lists the late one as held.
    evaluate(demo)
    held_now = {h["learner_id"] for h in report(gw, admin)["held"]}
    assert {str(held), str(held_late)} <= held_now


def test_only_the_deletion_job_takes_pending_learners(demo: Stack) -> None:
    """Profiles' internal retention routes refuse any other caller (a system job of another
    name, a district administrator's own token reaching profiles directly)."""
    secret = GatewaySettings(environment="test").internal_token_secret.get_secret_value()

    def headers(principal: Principal) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_internal_token(principal, secret)}"}

    base = demo.config.url("profiles")
    admin = Principal(subject=str(demo_id("user", "admin-district")), kind="user",
                      district_id=DEMO_DISTRICT, roles=frozenset({"district_admin"}),
                      user_id=demo_id("user", "admin-district"))  # fmt: skip
    record = {"deletion_id": str(uuid.uuid4()), "tombstone": "a" * 64, "rule": "left",
              "left_on": "2020-06-01", "due_since": "2020-07-01"}  # fmt: skip
    for who in (
        Principal(subject="system:learner-export", kind="system"),
        Principal(subject="system:learner-export", kind="system", district_id=DEMO_DISTRICT),
        admin,
    ):
        listed = httpx.get(f"{base}/internal/retention/pending", headers=headers(who))
        assert listed.status_code == 403, (who, listed.text)
        recorded = httpx.post(
            f"{base}/internal/retention/deletions", json=record, headers=headers(who)
        )
        assert recorded.status_code == 403, (who, recorded.text)
    job = Principal(subject="system:learner-deletion", kind="system")
    assert httpx.get(f"{base}/internal/retention/pending", headers=headers(job)).status_code == 200
    # A deletion is recorded in its district: the job's principal of none is refused.
    nowhere = httpx.post(f"{base}/internal/retention/deletions", json=record, headers=headers(job))
    assert nowhere.status_code == 403, nowhere.text
