"""The learner export job through the real gateway in front of the real services
(docs/privacy.md, "Export (the right to inspect)"): who may ask (a guardian for another child,
a teacher, the learner: 403 and no job written), who may see a job, a zip not ready yet (409), a
job whose file is gone (failed, with the reason, no archive kept), a job left by a gateway that
stopped (taken over and finished at the next start), and the export in the access log.
"""

import asyncio
import io
import json
import os
import socket
import time
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import TEST_SECRET, dev_login
from pathwise_gateway.exports.domain import ArchiveFile, archive_file_name, write_archive
from pathwise_gateway.exports.models import learner_exports
from pathwise_gateway.exports.service import sweep_expired_exports
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.storage import LocalFileStore
from pathwise_shared.timeutil import utcnow

DEMO_DISTRICT = demo_id("district", "riverside")
LEARNER_01 = demo_id("learner", "learner-01")
LEARNER_02 = demo_id("learner", "learner-02")  # guardian-02's child
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def run_sql(url: str, statement: Any) -> Any:
    async def go() -> Any:
        db = Database(url)
        try:
            async with db.engine.begin() as conn:
                result = await conn.execute(statement)
                return result.all() if result.returns_rows else result.rowcount
        finally:
            await db.dispose()

    return asyncio.run(go())


def jobs_of(stack: Stack, learner: uuid.UUID) -> int:
    query = select(func.count()).where(learner_exports.c.learner_id == learner)
    return int(run_sql(stack.config.database_urls["gateway"], query)[0][0])


def wait_done(gw: httpx.Client, url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        got = gw.get(url, headers=headers)
        assert got.status_code == 200, got.text
        job: dict[str, Any] = got.json()
        if job["state"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


# ---- the archive (pure) ----------------------------------------------------------------------


def test_archive_names_never_come_from_a_file_name() -> None:
    assert archive_file_name("profiles", 3, "../../etc/passwd") == "files/profiles/0003-etc_passwd"
    assert archive_file_name("pathways", 1, "...") == "files/pathways/0001-file"


def test_archive_has_json_csv_files_access_log_and_a_manifest() -> None:
    spool = io.BytesIO()
    parts = {
        "profiles": {
            "tables": {
                "goals": {"flat": True, "rows": [{"id": "g1", "title": 'Fractions, "1/2"'}]},
                "learner_profiles": {"flat": False, "rows": [{"strengths": ["maths"]}]},
                "notes": {"flat": True, "rows": []},
            }
        }
    }
    files = [ArchiveFile("pathways", "portfolio_artifacts", "portfolio/x/1", "a.png", b"png")]
    manifest = write_archive(
        spool, header={"learner_id": "L"}, parts=parts, files=files, access_log=[{"a": 1}]
    )
    archive = zipfile.ZipFile(spool)
    assert json.loads(archive.read("manifest.json")) == manifest
    assert manifest["counts"] == {"profiles": {"goals": 1, "learner_profiles": 1, "notes": 0}}
    assert archive.read("profiles/goals.csv").decode().splitlines() == [
        "id,title",
        'g1,"Fractions, ""1/2"""',
    ]
    assert "profiles/learner_profiles.csv" not in archive.namelist()  # JSON columns: JSON only
    assert "profiles/notes.csv" not in archive.namelist()
    assert archive.read("files/pathways/0001-a.png") == b"png"
    assert json.loads(archive.read("access_log.json")) == [{"a": 1}]
    assert set(manifest["sha256"]) == set(archive.namelist()) - {"manifest.json"}


# ---- through the gateway ---------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    "who", ["guardian-02", "teacher-01", "learner-01", "admin-riverside-elementary"]
)
def test_only_a_guardian_of_the_child_or_the_district_admin_may_ask(
    gw: httpx.Client, stack: Stack, who: str
) -> None:
    before = jobs_of(stack, LEARNER_01)
    refused = gw.post(f"/v1/learners/{LEARNER_01}/exports", headers=dev_login(gw, who))
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert jobs_of(stack, LEARNER_01) == before  # nothing half-done


@pytest.mark.integration
def test_a_job_is_seen_by_who_asked_and_the_district_admin(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-02")
    made = gw.post(f"/v1/learners/{LEARNER_02}/exports", headers=guardian)
    assert made.status_code == 202, made.text
    url = made.headers["location"]
    job = wait_done(gw, url, guardian)
    assert job["state"] == "succeeded", job
    assert gw.get(url, headers=dev_login(gw, "admin-district")).status_code == 200
    # Another guardian: refused by the object check of learner-02 (not their child).
    assert gw.get(url, headers=dev_login(gw, "guardian-01")).status_code == 403
    # The job under another learner's path is not found (an id is not a key to any learner).
    other = url.replace(str(LEARNER_02), str(LEARNER_01))
    hidden = gw.get(other, headers=dev_login(gw, "admin-district"))
    assert hidden.status_code == 404 and hidden.json()["type"].endswith("/export-not-found")
    # The export and its download are in the access log, with the guardian's name.
    got = gw.get(job["download"], headers=guardian)
    assert got.status_code == 200
    log = gw.get(f"/v1/audit/learners/{LEARNER_02}", headers=dev_login(gw, "admin-district"))
    assert log.status_code == 200, log.text
    operations = [e["operation"] for e in log.json()["items"]]
    assert "createLearnerExport" in operations and "downloadLearnerExport" in operations
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    entries = json.loads(archive.read("access_log.json"))
    mine = [e for e in entries if e["operation"] == "createLearnerExport"]
    assert mine and mine[0]["actor_name"] and "guardian" in mine[0]["actor_role"].lower()


def _job_row(learner: uuid.UUID, state: str, runner: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "district_id": DEMO_DISTRICT,
        "learner_id": learner,
        "requested_by": str(demo_id("user", "admin-district")),
        "requested_role": "district_admin",
        "state": state,
        "created_at": utcnow(),
        "runner": runner,
    }


@pytest.mark.integration
def test_the_zip_of_a_job_not_done_is_409(gw: httpx.Client, stack: Stack) -> None:
    # Queued by a process that is alive (this one): the gateway leaves it alone.
    row = _job_row(LEARNER_01, "queued", f"{socket.gethostname()}:{os.getpid()}:test")
    run_sql(stack.config.database_urls["gateway"], insert(learner_exports).values(**row))
    admin = dev_login(gw, "admin-district")
    url = f"/v1/learners/{LEARNER_01}/exports/{row['id']}"
    assert gw.get(url, headers=admin).json()["state"] == "queued"
    got = gw.get(f"{url}/download", headers=admin)
    assert got.status_code == 409, got.text
    assert got.json()["type"].endswith("/export-not-ready")


@pytest.mark.integration
def test_a_missing_file_fails_the_job_and_keeps_no_archive(gw: httpx.Client, stack: Stack) -> None:
    learner = demo_id("learner", "learner-11")
    student = dev_login(gw, "learner-11")
    added = gw.post(
        f"/v1/learners/{learner}/portfolio",
        data={"kind": "document", "title": "Lost"},
        files={"file": ("lost.pdf", PDF, "application/pdf")},
        headers=student,
    )
    assert added.status_code == 201, added.text
    root = Path(stack.config.env["PATHWAYS_STORAGE_DIR"])
    for path in root.rglob("*"):
        if path.is_file() and str(learner) in str(path):
            path.unlink()
    admin = dev_login(gw, "admin-district")
    made = gw.post(f"/v1/learners/{learner}/exports", headers=admin)
    assert made.status_code == 202, made.text
    job = wait_done(gw, made.headers["location"], admin)
    assert job["state"] == "failed", job
    assert "file" in job["error"] and job["download"] is None
    exports = Path(stack.config.env["GATEWAY_EXPORTS_STORAGE_DIR"])
    assert not [p for p in exports.rglob("*") if job["id"] in p.name]
    assert gw.get(f"{made.headers['location']}/download", headers=admin).status_code == 409


@pytest.mark.integration
def test_a_job_left_by_a_stopped_gateway_is_finished_after_a_restart(
    gw: httpx.Client, stack: Stack
) -> None:
    # Running under a process that is gone (no such pid on this host).
    row = _job_row(LEARNER_01, "running", f"{socket.gethostname()}:4194303:gone")
    run_sql(stack.config.database_urls["gateway"], insert(learner_exports).values(**row))
    gateway = next(spec for spec in SERVICES if spec.name == "gateway")
    stack.stop_one("gateway")
    stack.start_one(gateway)
    stack.wait_ready(timeout=60, services=("gateway",))
    admin = dev_login(gw, "admin-district")
    job = wait_done(gw, f"/v1/learners/{LEARNER_01}/exports/{row['id']}", admin)
    assert job["state"] == "succeeded", job
    assert job["counts"]["profiles"]["users"] == 1


@pytest.mark.integration
def test_an_expired_zip_leaves_the_store_and_the_job_reads_expired(
    gw: httpx.Client, stack: Stack
) -> None:
    admin = dev_login(gw, "admin-district")
    made = gw.post(f"/v1/learners/{LEARNER_02}/exports", headers=admin)
    assert made.status_code == 202, made.text
    job = wait_done(gw, made.headers["location"], admin)
    assert job["state"] == "succeeded", job
    root = Path(stack.config.env["GATEWAY_EXPORTS_STORAGE_DIR"])
    assert [p for p in root.rglob("*") if job["id"] in p.name]
    url = stack.config.database_urls["gateway"]
    # Its download time is over (as ``GATEWAY_EXPORTS_KEEP_HOURS`` later).
    job_id = uuid.UUID(job["id"])
    past = utcnow() - timedelta(minutes=1)
    run_sql(url, update(learner_exports).where(learner_exports.c.id == job_id)
            .values(expires_at=past))  # fmt: skip
    refused = gw.get(job["download"], headers=admin)
    assert refused.status_code == 409, refused.text

    async def sweep() -> int:
        db = Database(url)
        try:
            async with unit_of_work(db, write=True) as session:
                return await sweep_expired_exports(session, LocalFileStore(root))
        finally:
            await db.dispose()

    assert asyncio.run(sweep()) >= 1
    assert not [p for p in root.rglob("*") if job["id"] in p.name]
    now = gw.get(made.headers["location"], headers=admin).json()
    assert now["state"] == "expired" and now["download"] is None, now
    (key,) = run_sql(url, select(learner_exports.c.storage_key)
                     .where(learner_exports.c.id == job_id))[0]  # fmt: skip
    assert key is None
    gone = gw.get(job["download"], headers=admin)
    assert gone.status_code == 409 and "expired" in gone.json()["detail"], gone.text


# ---- the services' internal export routes, called directly -----------------------------------


def _internal(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_internal_token(principal, TEST_SECRET)}"}


@pytest.mark.integration
@pytest.mark.parametrize("service", ["profiles", "pathways", "assessment"])
def test_internal_export_is_the_export_jobs_alone(stack: Stack, service: str) -> None:
    path = f"/internal/learners/{demo_id('learner', 'learner-26')}/export"  # rows everywhere
    guardian = Principal(
        subject=str(demo_id("user", "guardian-01")), kind="user", district_id=DEMO_DISTRICT,
        roles=frozenset({"guardian"}), user_id=demo_id("user", "guardian-01"),
    )  # fmt: skip
    job = Principal(subject="system:learner-export", kind="system", district_id=DEMO_DISTRICT)
    elsewhere = Principal(subject="system:learner-export", kind="system", district_id=uuid.uuid4())
    with httpx.Client(base_url=stack.config.url(service), timeout=20.0) as client:
        # A user's token reaching the service directly is refused, whatever their relation.
        refused = client.get(path, headers=_internal(guardian))
        assert refused.status_code == 403 and refused.json()["type"].endswith("/system-only")
        districtless = Principal(subject="system:relay", kind="system")
        assert client.get(path, headers=_internal(districtless)).status_code == 403
        mine = client.get(path, headers=_internal(job))
        assert mine.status_code == 200, mine.text
        assert any(t["rows"] for t in mine.json()["tables"].values())
        # Another district's export job finds nothing of this learner.
        theirs = client.get(path, headers=_internal(elsewhere)).json()
        assert not any(t["rows"] for t in theirs["tables"].values())
        # The file route serves only a key the export lists for this learner.
        for key in ("../../etc/passwd", f"portfolio/{LEARNER_02}/x", "messages/x"):
            for table in ("portfolio_artifacts", "message_attachments", "users", "nope"):
                got = client.get(
                    f"{path}/file", params={"table": table, "key": key}, headers=_internal(job)
                )
                assert got.status_code == 404, (table, key, got.text)


@pytest.mark.integration
def test_asking_again_while_one_runs_answers_that_one(gw: httpx.Client, stack: Stack) -> None:
    admin_id = demo_id("user", "admin-district")
    row = {
        **_job_row(LEARNER_02, "queued", f"{socket.gethostname()}:{os.getpid()}:test"),
        "requested_by": str(admin_id),
    }
    run_sql(stack.config.database_urls["gateway"], insert(learner_exports).values(**row))
    before = jobs_of(stack, LEARNER_02)
    again = gw.post(f"/v1/learners/{LEARNER_02}/exports", headers=dev_login(gw, "admin-district"))
    assert again.status_code == 202, again.text
    assert again.json()["id"] == str(row["id"])
    assert jobs_of(stack, LEARNER_02) == before
