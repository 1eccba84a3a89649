"""A real profiles process killed in the middle of an import, then started again: the job it left
``running`` is failed on start-up with the reason, and running the same files again completes
the roster. Owns its stack (it kills and restarts a service)."""

import csv
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import TEST_SECRET, make_principal, start_stack
from pathwise_shared.auth import issue_internal_token

pytestmark = pytest.mark.integration

STUDENTS = 20_000
CLASSES = 200
ENROLLMENTS = 100_000


def write_roster(folder: Path) -> None:
    """Big enough that the job is still at work when the test kills its process."""

    def out(name: str, header: list[str], rows: Any) -> None:
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    folder.mkdir()
    modes = ("orgs", "academicSessions", "classes", "users", "enrollments")
    out("manifest.csv", ["propertyName", "value"],
        [("manifest.version", "1.0"), ("oneroster.version", "1.2"),
         *((f"file.{m}", "bulk") for m in modes), ("file.courses", "absent")])  # fmt: skip
    out("orgs.csv", ["sourcedId", "status", "name", "type"],
        [("s0", "active", "Exit School", "school")])  # fmt: skip
    out("academicSessions.csv", ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"],
        [("y", "2026-27", "schoolYear", "2026-08-15", "2027-06-15", "2027")])  # fmt: skip
    out("classes.csv", ["sourcedId", "status", "title", "classCode", "schoolSourcedId",
                        "termSourcedIds"],
        ((f"k{i}", "active", f"Class {i}", f"C{i}", "s0", "y") for i in range(CLASSES)))  # fmt: skip
    out("users.csv", ["sourcedId", "status", "enabledUser", "orgSourcedIds", "role", "username",
                      "givenName", "familyName", "grades"],
        ((f"u{i}", "active", "true", "s0", "student", f"exit{i}", "Given", f"F{i}", "04")
         for i in range(STUDENTS)))  # fmt: skip
    out("enrollments.csv", ["sourcedId", "status", "classSourcedId", "schoolSourcedId",
                            "userSourcedId", "role"],
        ((f"e{e}", "active", f"k{e % CLASSES}", "s0", f"u{e % STUDENTS}", "student")
         for e in range(ENROLLMENTS)))  # fmt: skip


@pytest.fixture(scope="module")
def exit_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("exit-import-root")
    write_roster(root / "big")
    with start_stack(
        tmp_path_factory.mktemp("exit-stack"), seed=False, env={"PROFILES_IMPORT_ROOT": str(root)}
    ) as stack:
        yield stack


def _operator(district: uuid.UUID | None) -> dict[str, str]:
    principal = make_principal(district, kind="system", subject="system:ops")
    return {"Authorization": f"Bearer {issue_internal_token(principal, TEST_SECRET, 600)}"}


def test_a_job_killed_with_its_process_is_failed_on_restart(exit_stack: Stack) -> None:
    url = exit_stack.config.url("profiles")
    with httpx.Client(base_url=url, timeout=30) as http:
        created = http.post("/v1/districts", json={"name": "Exit"}, headers=_operator(None))
        assert created.status_code == 201, created.text
        district = uuid.UUID(created.json()["id"])
        ops = _operator(district)
        started = http.post("/v1/roster/imports/folder", json={"path": "big"}, headers=ops)
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]

        state = "queued"
        for _ in range(1_000):  # at most ~20 s
            state = http.get(f"/v1/roster/imports/{job_id}", headers=ops).json()["state"]
            if state != "queued":
                break
            time.sleep(0.02)
        assert state == "running", f"the job was {state} before the test could kill it"
        profiles = exit_stack.processes["profiles"]
        profiles.kill()  # no shutdown hooks, no chance to mark the job: a crash
        profiles.wait(timeout=30)
        exit_stack.stop_one("profiles")  # forgets the dead process, closes its log

        spec = next(s for s in SERVICES if s.name == "profiles")
        exit_stack.start_one(spec)
        exit_stack.wait_ready(timeout=60, services=("profiles",))

        job = http.get(f"/v1/roster/imports/{job_id}", headers=ops).json()
        assert job["state"] == "failed", job
        assert "run the same files again" in job["error"]
        assert job["report"]["interrupted"]["state_when_stopped"] == "running"

        rerun = http.post("/v1/roster/imports/folder", json={"path": "big"}, headers=ops)
        assert rerun.status_code == 202, rerun.text
        for _ in range(600):  # at most ~120 s on a loaded machine
            job = http.get(f"/v1/roster/imports/{rerun.json()['id']}", headers=ops).json()
            if job["state"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        assert job["state"] == "succeeded", job
        users = job["report"]["diff"]["users"]
        assert users["created"] + users["unchanged"] == STUDENTS
        assert users["updated"] == users["deleted"] == 0
