"""Profiles (issue 3): the OneRoster CSV import against a raw bulk insert, and the profile read.

1. ``import``: a generated OneRoster 1.2 CSV folder (50 schools, one school year, 5k classes,
   100k users of whom 5k teachers, 500k enrollments; ``--quick``: a tenth) is imported through the
   service's own code path (``service.imports.run_job``: read, validate, diff against the
   district, write in chunks with progress, learner profiles and outbox events). Then the exact
   rows it wrote (every roster table and the learner profiles; not the outbox) are inserted into a
   fresh, migrated database with the raw driver's ``executemany`` in one transaction (sqlite3 /
   asyncpg). Both are timed in wall time and in this process's CPU time: SQLite's work runs in
   this process, so its CPU ratio is the one other people's load hardly moves. Then (``--quick``
   or ``PROFILES_BENCH_REIMPORT=1``) the same file set is imported a second time (every row
   unchanged). SQLite, or PostgreSQL with ``PATHWISE_TEST_DATABASE=postgresql``.
2. ``profile_read``: ``GET /v1/learners/{id}/profile`` as the learner's teacher at 32
   connections, straight to the profiles service (internal token) and through the gateway
   (bearer token), on the demo stack.
"""

import asyncio
import csv
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.common import load, running_stack
from pathwise_devstack.testing import (
    TEST_SECRET,
    backend,
    create_test_database,
    drop_test_database,
    make_principal,
)
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.models import districts
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_profiles.service import imports
from pathwise_profiles.service.import_sources import FolderFileSet, open_file_set
from pathwise_shared.auth import issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

SCHOOLS = 50
# Parents before children, as a bulk insert must go (foreign keys are on).
TABLES = (
    "schools", "academic_sessions", "classes", "users", "user_roles", "user_schools",
    "learner_profiles", "enrollments",
)  # fmt: skip
DISTRICT = uuid.UUID("01900000-0000-7000-8000-00000000beef")


def write_files(folder: Path, users: int, classes: int, enrollments: int) -> dict[str, int]:
    teachers = classes
    students = users - teachers
    student_enrollments = enrollments - classes

    def out(name: str, header: list[str], rows: Any) -> None:
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    modes = ("orgs", "academicSessions", "classes", "users", "enrollments")
    out("manifest.csv", ["propertyName", "value"],
        [("manifest.version", "1.0"), ("oneroster.version", "1.2"),
         *((f"file.{m}", "bulk") for m in modes), ("file.courses", "absent")])  # fmt: skip
    out("orgs.csv", ["sourcedId", "status", "name", "type", "parentSourcedId"],
        [("d", "active", "Bench District", "district", ""),
         *((f"s{i}", "active", f"School {i}", "school", "d") for i in range(SCHOOLS))])  # fmt: skip
    out("academicSessions.csv",
        ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"],
        [("y", "2026-27", "schoolYear", "2026-08-15", "2027-06-15", "2027")])  # fmt: skip
    out("classes.csv",
        ["sourcedId", "status", "title", "grades", "classCode", "schoolSourcedId",
         "termSourcedIds", "metadata.room"],
        ((f"k{i}", "active", f"Class {i}", "04", f"C{i}", f"s{i % SCHOOLS}", "y", f"R{i}")
         for i in range(classes)))  # fmt: skip
    out("users.csv",
        ["sourcedId", "status", "enabledUser", "orgSourcedIds", "role", "username", "givenName",
         "familyName", "email", "grades"],
        ((f"u{i}", "active", "TRUE", f"s{i % SCHOOLS}", "teacher" if i < teachers else "student",
          f"user{i}", f"Given{i}", f"Family{i}", f"user{i}@bench.example",
          "" if i < teachers else "04")
         for i in range(users)))  # fmt: skip

    def enrollment_rows() -> Any:
        for i in range(classes):
            yield (f"t{i}", "active", f"k{i}", f"s{i % SCHOOLS}", f"u{i}", "teacher", "true")
        for e in range(student_enrollments):
            student = teachers + e % students
            klass = (e * 7919) % classes
            yield (f"e{e}", "active", f"k{klass}", f"s{klass % SCHOOLS}", f"u{student}",
                   "student", "false")  # fmt: skip

    out("enrollments.csv",
        ["sourcedId", "status", "classSourcedId", "schoolSourcedId", "userSourcedId", "role",
         "primary"], enrollment_rows())  # fmt: skip
    return {"users": users, "classes": classes, "enrollments": enrollments, "schools": SCHOOLS}


async def _import(url: str, folder: Path) -> tuple[float, float, dict[str, Any]]:
    db = Database(url)
    try:
        files = FolderFileSet(folder)
        manifest = open_file_set(files)
        options = imports.ImportOptions(force=True)
        system = make_principal(DISTRICT, kind="system", subject="system:bench")
        async with db.session() as session:
            job = await imports.start_job(session, system, "folder", options)
            await session.commit()
        started, cpu = time.perf_counter(), time.process_time()
        await imports.run_job(db, job.id, DISTRICT, files, manifest, options, 0.5)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        async with db.session() as session:
            done = await imports.get_job(session, system, job.id)
        assert done.state == "succeeded", done.error
        assert done.report is not None and done.report["error_count"] == 0
        return seconds, cpu, done.report["diff"]
    finally:
        await db.dispose()


async def _add_district(url: str) -> None:
    db = Database(url)
    now = utcnow()
    try:
        async with db.session() as session:
            await session.execute(
                insert(districts).values(
                    id=DISTRICT, name="Bench", sourced_id="d", status="active",
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
            await session.commit()
    finally:
        await db.dispose()


def _sqlite_path(url: str) -> str:
    return str(make_url(url).database)


def _raw_sqlite(source_url: str, target_url: str) -> tuple[float, float, int]:
    source = sqlite3.connect(_sqlite_path(source_url))
    rows = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
    source.close()
    target = sqlite3.connect(_sqlite_path(target_url))
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
        target.execute(f"PRAGMA {pragma}")
    started, cpu = time.perf_counter(), time.process_time()
    with target:
        for table in TABLES:
            if rows[table]:
                marks = ",".join("?" * len(rows[table][0]))
                target.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    target.close()
    return seconds, cpu, sum(len(r) for r in rows.values())


async def _pg(url: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database
    )


async def _raw_pg(source_url: str, target_url: str) -> tuple[float, float, int]:
    source = await _pg(source_url)
    rows = {t: await source.fetch(f"SELECT * FROM {t}") for t in TABLES}
    await source.close()
    target = await _pg(target_url)
    started, cpu = time.perf_counter(), time.process_time()
    async with target.transaction():
        for table in TABLES:
            if rows[table]:
                columns = list(rows[table][0].keys())
                marks = ",".join(f"${i + 1}" for i in range(len(columns)))
                await target.executemany(
                    f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})",
                    [tuple(r.values()) for r in rows[table]],
                )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    await target.close()
    return seconds, cpu, sum(len(r) for r in rows.values())


def bench_import(db_backend: str, folder: Path, tmp: Path, *, reimport: bool) -> dict[str, Any]:
    if db_backend == "sqlite":
        a_url, b_url = f"sqlite:///{tmp / 'import.db'}", f"sqlite:///{tmp / 'raw.db'}"
        owned: list[Any] = []
    else:
        a, b = create_test_database("bench_import", tmp), create_test_database("bench_raw", tmp)
        a_url, b_url, owned = a.url, b.url, [a, b]
    try:
        for url in (a_url, b_url):
            MIGRATIONS.upgrade(url)
            asyncio.run(_add_district(url))
        import_seconds, import_cpu, diff = asyncio.run(_import(a_url, folder))
        again_seconds: float | None = None
        if reimport:
            again_seconds, _, again = asyncio.run(_import(a_url, folder))
            assert all(v["created"] == v["updated"] == v["deleted"] == 0 for v in again.values())
        if db_backend == "sqlite":
            raw_seconds, raw_cpu, rows = _raw_sqlite(a_url, b_url)
        else:
            raw_seconds, raw_cpu, rows = asyncio.run(_raw_pg(a_url, b_url))
    finally:
        for db in owned:
            drop_test_database(db)
    return {
        "created": {k: v["created"] for k, v in diff.items()},
        "rows_written_raw": rows,
        "import_s": round(import_seconds, 2),
        "raw_insert_s": round(raw_seconds, 2),
        "ratio_import_to_raw": round(import_seconds / raw_seconds, 2),
        # CPU of this process (SQLite runs in it, so this is nearly all the work and hardly
        # moved by other people's load; on PostgreSQL it leaves out the server's share).
        "import_cpu_s": round(import_cpu, 2),
        "raw_insert_cpu_s": round(raw_cpu, 2),
        "ratio_cpu": round(import_cpu / raw_cpu, 2),
        "reimport_unchanged_s": None if again_seconds is None else round(again_seconds, 2),
    }


def bench_profile_read(duration: float) -> dict[str, Any]:
    learner = demo_id("learner", "learner-01")
    teacher = make_principal(
        DEMO_DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01")
    )
    env = {"GATEWAY_RATE_LIMIT_USER": "100000000/minute"}
    with running_stack(env) as stack:
        direct = load(
            f"{stack.config.url('profiles')}/v1/learners/{learner}/profile",
            headers={"Authorization": f"Bearer {issue_internal_token(teacher, TEST_SECRET)}"},
            duration=duration,
        )
        login = httpx.post(
            f"{stack.config.url('gateway')}/v1/auth/token",
            data={"grant_type": "password", "username": "teacher-01"},
        )
        login.raise_for_status()
        gateway = load(
            f"{stack.config.url('gateway')}/v1/learners/{learner}/profile",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            duration=duration,
        )
    return {"direct_to_profiles": direct.as_dict(), "through_gateway": gateway.as_dict()}


def main(quick: bool) -> dict[str, Any]:
    scale = 10 if quick else 1
    # Like the test suite: SQLite, or PostgreSQL with PATHWISE_TEST_DATABASE=postgresql (one
    # backend per run keeps a full run well under five minutes on two cores).
    backends = [backend()]
    # The second, all-unchanged import adds a minute at full size: opt in to keep runs short.
    reimport = quick or os.environ.get("PROFILES_BENCH_REIMPORT") == "1"
    result: dict[str, Any] = {"backends": backends}
    with tempfile.TemporaryDirectory(prefix="pathwise-bench-profiles-") as name:
        tmp = Path(name)
        folder = tmp / "oneroster"
        folder.mkdir()
        result["sizes"] = write_files(folder, 100_000 // scale, 5_000 // scale, 500_000 // scale)
        for name in backends:
            work = tmp / name
            work.mkdir()
            result[f"import_{name}"] = bench_import(name, folder, work, reimport=reimport)
    result["profile_read_32_connections"] = bench_profile_read(2.0 if quick else 5.0)
    return result
