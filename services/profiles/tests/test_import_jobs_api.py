"""Import jobs as jobs: one at a time per district (409 naming the running one), jobs left by a
process that stopped are failed on start-up, and ``Idempotency-Key`` on both import POSTs.

The start-up tests own their database: they write jobs as a stopped process would have left them,
then start the real app and read the jobs through its API.
"""

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from pathwise_devstack import testing as devstack_testing
from pathwise_devstack.testing import (
    ServiceClient,
    create_test_database,
    drop_test_database,
    make_principal,
    service_client,
)
from pathwise_profiles.app import create_app
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.models import districts, import_jobs
from pathwise_profiles.oneroster_samples import BASE, zipped
from pathwise_profiles.service.import_runner import fail_abandoned_jobs
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.db import Database
from pathwise_shared.timeutil import utcnow

PROBLEM = "application/problem+json"


async def new_district(client: ServiceClient) -> uuid.UUID:
    created = await client.post(
        "/v1/districts",
        json={"name": f"Jobs {uuid.uuid4().hex[:6]}"},
        headers=client.as_(make_principal(kind="system", subject="system:test")),
    )
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])


def admin(client: ServiceClient, district: uuid.UUID, subject: str = "admin") -> dict[str, str]:
    return client.as_(make_principal(district, roles=["district_admin"], subject=subject))


def operator(client: ServiceClient, district: uuid.UUID) -> dict[str, str]:
    return client.as_(make_principal(district, kind="system", subject="system:ops"))


async def wait_job(client: ServiceClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(100):
        read = await client.get(f"/v1/roster/imports/{job_id}", headers=headers)
        assert read.status_code == 200, read.text
        if read.json()["state"] not in ("queued", "running"):
            return dict(read.json())
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish in 5 s")


async def post_upload(
    client: ServiceClient, headers: dict[str, str], key: str | None = None, **options: str
) -> Any:
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return await client.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", zipped(BASE), "application/zip")},
        data=options,
        headers=headers,
    )


async def job_count(client: ServiceClient, district: uuid.UUID) -> int:
    async with client.app.state.db.session() as session:
        stmt = (
            select(func.count())
            .select_from(import_jobs)
            .where(import_jobs.c.district_id == district)
        )
        return int(await session.scalar(stmt) or 0)


async def set_state(client: ServiceClient, job_id: str, state: str) -> None:
    async with client.app.state.db.session() as session:
        await session.execute(
            update(import_jobs).where(import_jobs.c.id == uuid.UUID(job_id)).values(state=state)
        )
        await session.commit()


# --- one import at a time per district ---------------------------------------------------------


async def test_second_import_is_refused_while_one_is_running(client: ServiceClient) -> None:
    district, other = await new_district(client), await new_district(client)
    headers = admin(client, district)
    first = await post_upload(client, headers)
    assert first.status_code == 202, first.text
    job_id = first.json()["id"]
    await wait_job(client, job_id, headers)
    # As if it were still at work (the in-process transport finishes it before answering).
    await set_state(client, job_id, "running")

    refused = await post_upload(client, headers)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    problem = refused.json()
    assert problem["type"].endswith("/import-running")
    assert problem["job_id"] == job_id and job_id in problem["detail"]
    assert await job_count(client, district) == 1  # nothing half-written
    # A dry run would diff against rows the running job is changing: refused too.
    assert (await post_upload(client, headers, dry_run="true")).status_code == 409

    # Another district is not held up by it.
    elsewhere = await post_upload(client, admin(client, other))
    assert elsewhere.status_code == 202, elsewhere.text
    assert (await wait_job(client, elsewhere.json()["id"], admin(client, other)))["state"] == (
        "succeeded"
    )

    await set_state(client, job_id, "succeeded")
    again = await post_upload(client, headers)
    assert again.status_code == 202, again.text
    assert (await wait_job(client, again.json()["id"], headers))["state"] == "succeeded"


async def test_a_queued_job_blocks_too(client: ServiceClient) -> None:
    district = await new_district(client)
    headers = admin(client, district)
    first = await post_upload(client, headers)
    await wait_job(client, first.json()["id"], headers)
    await set_state(client, first.json()["id"], "queued")
    refused = await post_upload(client, headers)
    assert refused.status_code == 409 and refused.json()["job_id"] == first.json()["id"]


# --- Idempotency-Key ---------------------------------------------------------------------------


async def test_retry_with_the_same_key_gets_the_first_job(client: ServiceClient) -> None:
    district = await new_district(client)
    headers = admin(client, district)
    first = await post_upload(client, headers, key="roster-2026-11-24")
    assert first.status_code == 202, first.text
    assert "Idempotent-Replayed" not in first.headers
    done = await wait_job(client, first.json()["id"], headers)
    assert done["state"] == "succeeded"

    # The same zip again (httpx picks a new multipart boundary: the body differs, the zip not).
    retry = await post_upload(client, headers, key="roster-2026-11-24")
    assert retry.status_code == 202, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["state"] == "succeeded"
    assert await job_count(client, district) == 1

    # The key names the first request: other options under it are a client bug, not a retry.
    reused = await post_upload(client, headers, key="roster-2026-11-24", dry_run="true")
    assert reused.status_code == 422, reused.text
    assert reused.headers["content-type"].startswith(PROBLEM)
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert await job_count(client, district) == 1

    # Keys belong to their caller: another admin's same key is a new import.
    someone_else = await post_upload(
        client, admin(client, district, subject="admin-2"), key="roster-2026-11-24"
    )
    assert someone_else.status_code == 202, someone_else.text
    assert someone_else.json()["id"] != first.json()["id"]


async def test_a_replay_does_not_hit_the_running_rule(client: ServiceClient) -> None:
    district = await new_district(client)
    headers = admin(client, district)
    first = await post_upload(client, headers, key="k-1")
    await wait_job(client, first.json()["id"], headers)
    await set_state(client, first.json()["id"], "running")
    # A client that lost the first answer learns about its own job, not that "a job" runs.
    retry = await post_upload(client, headers, key="k-1")
    assert retry.status_code == 202 and retry.json()["id"] == first.json()["id"]
    assert retry.json()["state"] == "running"
    await set_state(client, first.json()["id"], "succeeded")


@pytest.mark.parametrize("key", ["", "with space", "a/b", "x" * 201])
async def test_bad_idempotency_keys_are_refused(client: ServiceClient, key: str) -> None:
    district = await new_district(client)
    response = await post_upload(client, admin(client, district), key=key)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/invalid-idempotency-key")
    assert await job_count(client, district) == 0


@pytest.fixture(scope="module")
def import_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jobs-import-root")
    (root / "north").mkdir()
    for name, text in BASE.items():
        (root / "north" / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
async def folder_client(
    test_db: devstack_testing.TestDatabase, import_root: Path
) -> AsyncIterator[ServiceClient]:
    settings = ProfilesSettings(
        database_url=test_db.url, environment="test", import_root=str(import_root)
    )
    async with service_client(create_app, settings, MIGRATIONS) as c:
        yield c


async def test_folder_imports_take_a_key_and_one_at_a_time(folder_client: ServiceClient) -> None:
    district = await new_district(folder_client)
    headers = {**operator(folder_client, district), "Idempotency-Key": "nightly-1"}
    first = await folder_client.post("/v1/roster/imports/folder", json={"path": "north"},
                                     headers=headers)  # fmt: skip
    assert first.status_code == 202, first.text
    await wait_job(folder_client, first.json()["id"], headers)
    retry = await folder_client.post("/v1/roster/imports/folder", json={"path": "north"},
                                     headers=headers)  # fmt: skip
    assert retry.status_code == 202 and retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    other_options = await folder_client.post(
        "/v1/roster/imports/folder", json={"path": "north", "force": True}, headers=headers
    )
    assert other_options.status_code == 422
    assert other_options.json()["type"].endswith("/idempotency-key-reused")

    await set_state(folder_client, first.json()["id"], "running")
    refused = await folder_client.post(
        "/v1/roster/imports/folder", json={"path": "north"},
        headers=operator(folder_client, district),
    )  # fmt: skip
    assert refused.status_code == 409 and refused.json()["job_id"] == first.json()["id"]
    await set_state(folder_client, first.json()["id"], "succeeded")
    assert await job_count(folder_client, district) == 1


# --- jobs left by a stopped process ------------------------------------------------------------


@pytest.fixture
def own_db(tmp_path: Path) -> Iterator[devstack_testing.TestDatabase]:
    db = create_test_database("profiles_jobs", tmp_path)
    yield db
    drop_test_database(db)


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process of this host that is alive for the test (bounded: it sleeps 60 s at most)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=10)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


async def test_jobs_of_a_stopped_process_are_failed_on_start_up(
    own_db: devstack_testing.TestDatabase, live_pid: int
) -> None:
    await asyncio.to_thread(MIGRATIONS.upgrade, own_db.url)
    host = socket.gethostname()
    # (runner, state): what a process may have left behind, and whether start-up fails it.
    cases: dict[str, tuple[str | None, str, bool]] = {
        "dead": (f"{host}:{dead_pid()}:0a0b0c0d", "running", True),
        "our_pid_earlier": (f"{host}:{os.getpid()}:earlier0", "queued", True),
        "before_runners": (None, "running", True),
        "alive": (f"{host}:{live_pid}:0a0b0c0d", "running", False),
        "other_host": (f"elsewhere.invalid:{os.getpid()}:0a0b0c0d", "running", False),
    }
    ids: dict[str, uuid.UUID] = {}
    district_of: dict[str, uuid.UUID] = {}
    db = Database(own_db.url)
    try:
        async with db.session() as session:
            for name, (runner, state, _) in cases.items():
                ids[name], district_of[name] = uuid.uuid4(), uuid.uuid4()
                now = utcnow()
                await session.execute(insert(districts).values(
                    id=district_of[name], name=name, status="active", created_at=now,
                    updated_at=now,
                ))  # fmt: skip
                await session.execute(insert(import_jobs).values(
                    id=ids[name], district_id=district_of[name], state=state, source="upload",
                    dry_run=False, strict=False, force=False, rows_done=20_000,
                    rows_total=90_000, report=None, error=None, created_by="admin",
                    created_at=now, started_at=now, finished_at=None, runner=runner,
                ))  # fmt: skip
            await session.commit()
    finally:
        await db.dispose()

    settings = ProfilesSettings(database_url=own_db.url, environment="test")
    async with service_client(create_app, settings, MIGRATIONS) as client:
        for name, (_, state, fails) in cases.items():
            headers = admin(client, district_of[name])
            job = (await client.get(f"/v1/roster/imports/{ids[name]}", headers=headers)).json()
            if not fails:
                assert job["state"] == state, (name, job)
                refused = await post_upload(client, headers)
                assert refused.status_code == 409, (name, refused.text)
                continue
            assert job["state"] == "failed", (name, job)
            assert job["finished_at"] is not None
            assert "run the same files again" in job["error"]
            interrupted = job["report"]["interrupted"]
            assert interrupted["state_when_stopped"] == state
            assert interrupted["rows_done"] == 20_000 and interrupted["rows_total"] == 90_000
        # The failed job no longer holds its district: the re-run is accepted and completes.
        headers = admin(client, district_of["dead"])
        rerun = await post_upload(client, headers)
        assert rerun.status_code == 202, rerun.text
        assert (await wait_job(client, rerun.json()["id"], headers))["state"] == "succeeded"
        # A job of this live process is not mistaken for an abandoned one by a later check.
        await set_state(client, rerun.json()["id"], "running")
        assert await fail_abandoned_jobs(client.app.state.db) == []
        job = await client.get(f"/v1/roster/imports/{rerun.json()['id']}", headers=headers)
        assert job.json()["state"] == "running"
