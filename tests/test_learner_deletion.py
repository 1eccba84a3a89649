"""Per-learner deletion from outside (docs/privacy.md "Deletion"): the real gateway in front of
the real services, on a stack of this module's own (the learners it erases are gone for good).

A district admin deletes learner-26, given a portfolio file, a thread with an attachment and a
reflection first (with the demo's attempts, badges and credentials): then every column of every
row of every table of every service's database, read as text, holds neither form of the
learner's id (hyphenated or hex); the files are gone from their stores; the certificate's counts
match what was there and hold no id; ``learner.deleted`` carries the tombstone only. A learner
under a legal hold is refused 409 with nothing changed. A deletion that fails halfway (a service
down) keeps the steps done and, tried again, completes.
"""

import asyncio
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pathwise_devstack.learner_rows import give_records, learner_traces
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, start_stack
from pathwise_gateway.deletions.domain import tombstone
from pathwise_gateway.deletions.models import learner_deletions
from pathwise_gateway.events.models import event_log
from pathwise_gateway.seed import DEMO_DISTRICT
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

pytestmark = pytest.mark.integration

RICH = demo_id("learner", "learner-26")
CLASS = demo_id("class", "grade3-math")
SCHOOL = demo_id("school", "riverside-elementary")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("deletion")
    # A failed step is tried again a second later (60 s in production).
    env = {"GATEWAY_DELETION_RETRY_SECONDS": "1"}
    with start_stack(directory, env=env) as running:
        running.config.env["__dir"] = str(directory)
        yield running


@pytest.fixture(scope="module")
def gw(demo: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.config.url("gateway"), timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def admin(gw: httpx.Client) -> dict[str, str]:
    return dev_login(gw, "admin-district")


def scan(stack: Stack, learner: uuid.UUID) -> dict[str, int]:
    """Per ``service.table``, the rows holding the learner's id anywhere, as text."""
    return learner_traces(stack.config.database_urls, learner)


def gateway_events(stack: Stack, subject: str) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        db = Database(stack.config.database_urls["gateway"])
        try:
            async with db.engine.connect() as conn:
                query = select(event_log).where(event_log.c.subject == subject)
                return [dict(r) for r in (await conn.execute(query)).mappings()]
        finally:
            await db.dispose()

    return asyncio.run(go())


def stored_files(demo: Stack) -> set[str]:
    root = Path(demo.config.env["__dir"])
    return {
        p.relative_to(root).as_posix()
        for d in ("portfolio", "messages", "exports")
        for p in (root / d).rglob("*")
        if p.is_file() and not p.name.startswith(".part-")
    }


def student(gw: httpx.Client, admin: dict[str, str], name: str) -> uuid.UUID:
    """A throwaway learner of the demo district, enrolled in a class, with a goal."""
    created = gw.post(
        "/v1/users",
        json={"username": f"{name}-{uuid.uuid4().hex[:8]}", "given_name": name,
              "family_name": "Deletion", "roles": ["student"], "school_ids": [str(SCHOOL)]},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    learner = uuid.UUID(created.json()["id"])
    enrolled = gw.post(
        f"/v1/classes/{CLASS}/enrollments",
        json={"user_id": str(learner), "role": "student"},
        headers=admin,
    )
    assert enrolled.status_code == 201, enrolled.text
    return learner


def delete(gw: httpx.Client, headers: dict[str, str], learner: uuid.UUID) -> httpx.Response:
    return gw.post(
        f"/v1/learners/{learner}/deletions",
        json={"confirm_learner_id": str(learner)},
        headers=headers,
    )


def wait(gw: httpx.Client, admin: dict[str, str], deletion: str, *states: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        got = gw.get(f"/v1/deletions/{deletion}", headers=admin)
        assert got.status_code == 200, got.text
        job: dict[str, Any] = got.json()
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_a_deleted_learner_is_in_no_table_and_no_store(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    give_records(gw)
    # An export of the learner: its archive is the learner's data too.
    exported = gw.post(f"/v1/learners/{RICH}/exports", headers=admin)
    assert exported.status_code == 202, exported.text
    export_id = exported.json()["id"]
    deadline = time.monotonic() + 60
    while (
        gw.get(f"/v1/learners/{RICH}/exports/{export_id}", headers=admin).json()["state"]
        != "succeeded"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    before = scan(demo, RICH)
    for table in ("profiles.users", "profiles.enrollments", "profiles.message_attachments",
                  "profiles.reflections", "pathways.portfolio_artifacts",
                  "assessment.attempts", "assessment.credentials", "gateway.audit_log",
                  "gateway.learner_exports"):  # fmt: skip
        assert before.get(table), f"{table}: the learner had no rows to erase"
    files_before = stored_files(demo)
    assert any(f.startswith("exports/") for f in files_before)
    assert any(f.startswith("portfolio/") for f in files_before)
    assert any(f.startswith("messages/") for f in files_before)

    made = delete(gw, admin, RICH)
    assert made.status_code == 202, made.text
    assert made.headers["location"] == f"/v1/deletions/{made.json()['id']}"
    again = delete(gw, admin, RICH)
    assert again.status_code == 202 and again.json()["id"] == made.json()["id"]  # no second job
    job = wait(gw, admin, made.json()["id"], "succeeded", "failed")
    assert job["state"] == "succeeded", job

    assert scan(demo, RICH) == {}
    # Every file of the learner is gone.
    gone = files_before - stored_files(demo)
    assert any(f.startswith("portfolio/") for f in gone)
    assert any(f.startswith("messages/") for f in gone)
    assert any(f.startswith("exports/") for f in gone)

    certificate = job["certificate"]
    text = json.dumps(job).lower()
    assert str(RICH) not in text and RICH.hex not in text
    assert certificate["deletion_id"] == job["id"] == made.json()["id"]
    assert certificate["district_id"] == str(DEMO_DISTRICT)
    assert certificate["tombstone"] == job["tombstone"] and len(job["tombstone"]) == 64
    assert certificate["requested_by"] == str(demo_id("user", "admin-district"))
    assert certificate["origin"] == "request" and certificate["retention"] is None
    assert job["origin"] == "request"
    services = certificate["services"]
    assert set(services) == {"profiles", "pathways", "assessment", "gateway"}
    # The counts are the rows that named the learner (the scan's, which reads more widely:
    # at least as many) and the files.
    assert services["profiles"]["deleted"]["users"] == 1
    assert services["profiles"]["deleted"]["enrollments"] == before["profiles.enrollments"]
    assert services["profiles"]["deleted"]["reflections"] == before["profiles.reflections"]
    assert services["assessment"]["deleted"]["credentials"] == before["assessment.credentials"]
    assert services["assessment"]["deleted"]["attempts"] == before["assessment.attempts"]
    assert services["pathways"]["deleted"]["portfolio_artifacts"] == 1
    assert services["pathways"]["files_deleted"] == 1
    assert services["profiles"]["files_deleted"] == 1
    assert certificate["rows_deleted"] == sum(sum(s["deleted"].values()) for s in services.values())

    # learner.deleted: the tombstone, never the id.
    [event] = gateway_events(demo, f"deletion/{job['id']}")
    assert event["event_type"] == "learner.deleted"
    assert event["envelope"]["data"] == {
        "tombstone": job["tombstone"], "deletion_id": job["id"], "origin": "request"
    }  # fmt: skip
    # The learner is gone: their records answer 404, and so does a second deletion.
    assert gw.get(f"/v1/learners/{RICH}/profile", headers=admin).status_code == 404
    assert delete(gw, admin, RICH).status_code == 404
    # The certificate stays readable, by district admins only.
    teacher = dev_login(gw, "teacher-03")
    assert gw.get(f"/v1/deletions/{job['id']}", headers=teacher).status_code == 403


def test_a_learner_under_a_legal_hold_is_refused_with_nothing_changed(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    held = student(gw, admin, "Held")
    hold = gw.put(
        f"/v1/learners/{held}/legal-hold", json={"reason": "Court order 12"}, headers=admin
    )
    assert hold.status_code in (200, 201), hold.text
    before = scan(demo, held)
    refused = delete(gw, admin, held)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/legal-hold-active")
    # Nothing changed, but the audit entry of the refused request.
    after = scan(demo, held)
    assert {k: v for k, v in after.items() if k != "gateway.audit_log"} == {
        k: v for k, v in before.items() if k != "gateway.audit_log"
    }
    assert after["profiles.users"] == 1


def test_a_deletion_interrupted_by_a_service_down_resumes_and_completes(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    learner = student(gw, admin, "Interrupted")
    assert scan(demo, learner).get("profiles.enrollments")
    spec = next(s for s in SERVICES if s.name == "assessment")
    demo.stop_one("assessment")
    try:
        made = delete(gw, admin, learner)
        assert made.status_code == 202, made.text
        job = wait(gw, admin, made.json()["id"], "failed", "succeeded")
        assert job["state"] == "failed", job
        # Profiles and pathways erased, recorded; the learner half-deleted only until...
        assert job["services_done"] == ["pathways", "profiles"], job
        assert "profiles.users" not in scan(demo, learner)
    finally:
        demo.start_one(spec)
        demo.wait_ready(services=("assessment",))
    # ... the job tries again by itself, from the step that failed.
    job = wait(gw, admin, made.json()["id"], "succeeded")
    assert job["certificate"]["services"]["profiles"]["deleted"]["users"] == 1
    assert scan(demo, learner) == {}


def test_a_deletion_must_name_the_learner_twice_and_is_read_by_district_admins_only(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    learner = student(gw, admin, "Careless")
    path = f"/v1/learners/{learner}/deletions"
    for body in ({}, {"confirm_learner_id": str(uuid.uuid4())}, {"confirm_learner_id": "x"}):
        refused = gw.post(path, json=body, headers=admin)
        assert refused.status_code == 422, refused.text
    mismatch = gw.post(path, json={"confirm_learner_id": str(RICH)}, headers=admin)
    assert mismatch.json()["type"].endswith("/deletion-not-confirmed")
    assert scan(demo, learner).get("profiles.users") == 1  # nothing deleted
    # No such deletion: 404 to a district admin, 403 to every other role.
    missing = f"/v1/deletions/{uuid.uuid4()}"
    assert gw.get(missing, headers=admin).status_code == 404
    for who in ("teacher-01", "learner-01", "guardian-01", "admin-riverside-elementary"):
        assert gw.get(missing, headers=dev_login(gw, who)).status_code == 403, who


def test_a_deletion_left_by_a_stopped_gateway_is_taken_over_at_start(
    demo: Stack, gw: httpx.Client, admin: dict[str, str]
) -> None:
    """Two jobs a gateway killed mid-job leaves running: one completes when the gateway starts
    again; the other's learner was put under a legal hold meanwhile, so profiles refuses it
    (409, before anything changed) and the job ends refused, not retried for ever."""
    learner, held = student(gw, admin, "Abandoned"), student(gw, admin, "HeldMeanwhile")
    hold = gw.put(f"/v1/learners/{held}/legal-hold", json={"reason": "Audit 7"}, headers=admin)
    assert hold.status_code in (200, 201), hold.text
    jobs = {learner: uuid.uuid4(), held: uuid.uuid4()}
    pepper = GatewaySettings(environment="test").tombstone_pepper.get_secret_value()
    # A process of this host that has ended: its jobs are taken over.
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = f"{socket.gethostname()}:{ended.pid}:x"

    async def abandon() -> None:
        db = Database(demo.config.database_urls["gateway"])
        try:
            async with db.engine.begin() as conn:
                for who, job_id in jobs.items():
                    await conn.execute(learner_deletions.insert().values(
                        id=job_id, district_id=DEMO_DISTRICT, learner_id=who,
                        tombstone=tombstone(pepper, DEMO_DISTRICT, who),
                        requested_by="someone", origin="request", state="running",
                        created_at=utcnow(),
                        runner=dead, progress={},
                    ))  # fmt: skip
        finally:
            await db.dispose()

    asyncio.run(abandon())
    held_before = scan(demo, held)
    spec = next(s for s in SERVICES if s.name == "gateway")
    demo.stop_one("gateway")
    demo.start_one(spec)
    demo.wait_ready(services=("gateway",))
    job = wait(gw, admin, str(jobs[learner]), "succeeded")
    assert job["certificate"]["services"]["profiles"]["deleted"]["users"] == 1
    assert job["certificate"]["resumed"] is True
    assert scan(demo, learner) == {}
    refused = wait(gw, admin, str(jobs[held]), "refused", "succeeded")
    assert refused["state"] == "refused" and "legal hold" in refused["error"], refused
    assert refused["services_done"] == [] and refused["certificate"] is None
    after = scan(demo, held)
    assert {k: v for k, v in after.items() if k != "gateway.audit_log"} == {
        k: v for k, v in held_before.items() if k != "gateway.audit_log"
    }


def test_only_the_deletion_job_erases(demo: Stack) -> None:
    """A service's erase refuses any other caller, the export job's system principal too."""
    for job in ("learner-export", "retention"):
        principal = Principal(subject=f"system:{job}", kind="system", district_id=DEMO_DISTRICT)
        secret = GatewaySettings(environment="test").internal_token_secret.get_secret_value()
        headers = {"Authorization": f"Bearer {issue_internal_token(principal, secret)}"}
        for service in ("profiles", "pathways", "assessment"):
            answer = httpx.post(
                f"{demo.config.url(service)}/internal/learners/{RICH}/erase", headers=headers
            )
            assert answer.status_code == 403, (service, job, answer.text)
