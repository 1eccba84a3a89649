"""OneRoster 1.2 CSV imports through the API: messy files, idempotency, errors, strict, dry run,
the mass-change guard, delta deletes, versions, broken zips and folders.

Each test imports into a district of its own, so the guard and the diffs see only its rows.
"""

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.types import Message, Scope

from pathwise_devstack import testing as devstack_testing
from pathwise_devstack.testing import ServiceClient, make_principal, service_client
from pathwise_profiles.api.upload_limit import MULTIPART_ALLOWANCE
from pathwise_profiles.app import create_app
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.models import outbox, users
from pathwise_profiles.oneroster_samples import BASE, USERS_HEADER, manifest, zipped
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_profiles.settings import ProfilesSettings


async def new_district(client: ServiceClient) -> uuid.UUID:
    created = await client.post(
        "/v1/districts",
        json={"name": f"Imports {uuid.uuid4().hex[:6]}"},
        headers=client.as_(make_principal(kind="system", subject="system:test")),
    )
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])


def admin_of(district: uuid.UUID) -> Any:
    return make_principal(district, roles=["district_admin"])


async def wait_job(
    client: ServiceClient, job: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """The job once finished (the in-process transport usually returns after it already is)."""
    for _ in range(100):
        read = await client.get(f"/v1/roster/imports/{job['id']}", headers=headers)
        assert read.status_code == 200, read.text
        if read.json()["state"] not in ("queued", "running"):
            return dict(read.json())
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish in 5 s")


async def upload(
    client: ServiceClient,
    district: uuid.UUID,
    files: dict[str, str],
    **options: str,
) -> dict[str, Any]:
    headers = client.as_(admin_of(district))
    response = await client.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", zipped(files), "application/zip")},
        data=options,
        headers=headers,
    )
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "queued"
    return await wait_job(client, response.json(), headers)


async def students(client: ServiceClient, district: uuid.UUID) -> dict[str, dict[str, Any]]:
    page = await client.get(
        "/v1/users", params={"role": "student", "limit": 200},
        headers=client.as_(admin_of(district)),
    )  # fmt: skip
    assert page.status_code == 200, page.text
    return {u["sourced_id"]: u for u in page.json()["items"]}


async def count_users(client: ServiceClient, district: uuid.UUID) -> int:
    async with client.app.state.db.session() as session:
        stmt = select(func.count()).select_from(users).where(users.c.district_id == district)
        return int(await session.scalar(stmt) or 0)


async def events_of(client: ServiceClient, district: uuid.UUID) -> list[str]:
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(outbox.c.event_type)
            .where(outbox.c.district_id == district)
            .order_by(outbox.c.id)
        )
        return list(rows.scalars())


async def test_messy_export_is_imported(client: ServiceClient) -> None:
    district = await new_district(client)
    job = await upload(client, district, BASE)
    assert job["state"] == "succeeded", job
    report = job["report"]
    assert {k: v["created"] for k, v in report["diff"].items()} == {
        "schools": 2, "sessions": 2, "courses": 1, "classes": 2, "users": 4, "enrollments": 4,
        "guardian_links": 0,
    }  # fmt: skip
    assert report["errors"] == [] and report["oneroster_version"] == "1.2"
    assert report["ignored_columns"] == {
        "orgs.csv": ["metadata.nces_id"],
        "classes.csv": ["ext_room_color"],
        "users.csv": ["metadata.lunch"],
    }
    assert job["rows_done"] == job["rows_total"] == 15
    found = await students(client, district)
    assert set(found) == {"st-1", "st-2", "st-3"}
    assert found["st-3"]["enabled"] is False and found["st-1"]["enabled"] is True
    assert found["st-1"]["grade"] == "04" and len(found["st-3"]["school_ids"]) == 1
    admin = client.as_(admin_of(district))
    classes = (await client.get("/v1/classes", headers=admin)).json()["items"]
    sessions = {
        s["sourced_id"]: s
        for s in (await client.get("/v1/sessions", headers=admin)).json()["items"]
    }
    assert {c["sourced_id"]: c["session_id"] for c in classes} == {
        "k-4a": sessions["t1"]["id"], "k-4b": sessions["t1"]["id"],
    }  # fmt: skip
    assert sessions["t1"]["parent_id"] == sessions["y2026"]["id"]
    assert str(sessions["t1"]["end_date"]) == "2026-12-20"
    profile = await client.get(
        f"/internal/learners/{found['st-1']['id']}/planning-profile", headers=admin
    )
    assert profile.status_code == 200, profile.text
    events = await events_of(client, district)
    assert events.count("learner.created") == 3
    assert events.count("enrollment.changed") == 2  # one per class
    assert events[-1] == "roster.imported"


async def test_same_files_twice_change_nothing(client: ServiceClient) -> None:
    district = await new_district(client)
    first = await upload(client, district, BASE)
    assert first["state"] == "succeeded"
    before = await events_of(client, district)
    again = await upload(client, district, BASE)
    assert again["state"] == "succeeded", again
    diff = again["report"]["diff"]
    assert all(v["created"] == v["updated"] == v["deleted"] == 0 for v in diff.values()), diff
    assert sum(v["unchanged"] for v in diff.values()) == 15
    assert again["rows_total"] == 0
    assert await events_of(client, district) == [*before, "roster.imported"]


BROKEN_USERS = (
    "\ufeff"
    + USERS_HEADER
    + (
        "t-1,active,,TRUE,tkim,,Tara,Kim,,,not-an-email,,,,,,,,,,,s1,,\n"
        "st-1,active,,maybe,ana.s,,,Silva,,,,,,,04,,,,,,,s1,,\n"
        "st-2,active,,,ben.o,,Ben,Okafor,,,,,,,04,,,,,,,s1,,\n"
        "st-3,active,,FALSE,cy.l,,Cy,Lee,,,,,,,5th grade,,,,,,,s2,,\n"
    )
)
BROKEN = {
    **BASE,
    "users.csv": BROKEN_USERS,
    "enrollments.csv": BASE["enrollments.csv"] + "e5,active,,k-9z,s1,st-2,student,,,\n",
}


async def test_row_errors_name_file_line_and_field_and_spare_good_rows(
    client: ServiceClient,
) -> None:
    district = await new_district(client)
    job = await upload(client, district, BROKEN)
    assert job["state"] == "succeeded", job
    errors = {(e["file"], e["line"], e["field"]) for e in job["report"]["errors"]}
    assert {
        ("users", 2, "email"),
        ("users", 3, "enabledUser"),
        ("users", 3, "givenName"),
        ("users", 5, "grades"),
        ("enrollments", 6, "classSourcedId"),
        # enrollments of the users that failed cannot name them
        ("enrollments", 2, "userSourcedId"),
        ("enrollments", 3, "userSourcedId"),
        ("enrollments", 5, "userSourcedId"),
    } == errors
    assert set(await students(client, district)) == {"st-2"}
    assert job["report"]["diff"]["enrollments"]["created"] == 1


async def test_strict_mode_writes_nothing_on_any_error(client: ServiceClient) -> None:
    district = await new_district(client)
    job = await upload(client, district, BROKEN, strict="true")
    assert job["state"] == "failed"
    assert "strict" in job["error"] and job["report"]["error_count"] == 8
    assert await count_users(client, district) == 0


async def test_dry_run_shows_the_diff_and_writes_nothing(client: ServiceClient) -> None:
    district = await new_district(client)
    job = await upload(client, district, BASE, dry_run="TRUE")
    assert job["state"] == "succeeded" and job["dry_run"] is True
    users_diff = job["report"]["diff"]["users"]
    assert users_diff["created"] == 4
    assert sorted(users_diff["samples"]["created"]) == ["st-1", "st-2", "st-3", "t-1"]
    assert await count_users(client, district) == 0
    assert await events_of(client, district) == []
    # and against an existing roster, it lists updates with their fields and the deletions
    await upload(client, district, BASE)
    changed = {
        **BASE,
        "users.csv": BASE["users.csv"]
        .replace("Ana,Silva", "Ana,Souza")
        .replace("st-3,active,,FALSE,cy.l,,Cy,Lee,,,,,,,05,,,,,,,s2,,\n", ""),
    }
    dry = await upload(client, district, changed, dry_run="true")
    samples = dry["report"]["diff"]["users"]["samples"]
    assert samples["updated"] == [{"sourcedId": "st-1", "fields": ["family_name"]}]
    assert samples["deleted"] == ["st-3"]
    assert (await students(client, district))["st-1"]["family_name"] == "Silva"


async def test_mass_change_guard_needs_force(client: ServiceClient) -> None:
    district = await new_district(client)
    await upload(client, district, BASE)
    emptied = {
        **BASE,
        "users.csv": USERS_HEADER,
        "roles.csv": BASE["roles.csv"].splitlines()[0] + "\n",
        "enrollments.csv": BASE["enrollments.csv"].splitlines()[0] + "\n",
    }
    refused = await upload(client, district, emptied)
    assert refused["state"] == "refused", refused
    guard = refused["report"]["guard"]
    assert guard["tripped"] == ["users:student", "enrollments"]
    assert "3 of 3 active students" in refused["error"] and "force=true" in refused["error"]
    # one teacher deleted is under the floor of three changed rows
    assert guard["kinds"]["users:teacher"]["deleted"] == 1
    assert guard["kinds"]["users:teacher"]["tripped"] is False
    assert all(u["status"] == "active" for u in (await students(client, district)).values())
    forced = await upload(client, district, emptied, force="true")
    assert forced["state"] == "succeeded"
    assert all(u["status"] == "tobedeleted" for u in (await students(client, district)).values())
    assert (await events_of(client, district)).count("learner.deleted") == 3


DELETE_HEADER = "sourcedId,status,username,givenName,familyName\n"


def _school_of(students: int) -> dict[str, str]:
    """BASE with ``students`` students, each in both classes: students are a small share of the
    roster (their enrollments outnumber them), as in a real district."""
    users = [f"st-{n},active,,,stu{n},,S{n},Lee,,,,,,,04,,,,,,,s1,,\n" for n in range(students)]
    roles = [f"r{n},,,st-{n},primary,student,,,s1,\n" for n in range(students)]
    enrollments = [
        f"e{n}{k},,,{k},s1,st-{n},student,,,\n" for n in range(students) for k in ("k-4a", "k-4b")
    ]
    return {
        **BASE,
        "users.csv": USERS_HEADER
        + "t-1,active,,TRUE,tkim,,Tara,Kim,,,,,,,,,,,,,,s1,,\n"
        + "".join(users),
        "roles.csv": BASE["roles.csv"].splitlines(keepends=True)[0] + "r-t,,,t-1,primary,"
        "teacher,,,s1,\n" + "".join(roles),
        "enrollments.csv": BASE["enrollments.csv"].splitlines(keepends=True)[0]
        + "".join(enrollments),
    }


async def test_guard_weighs_students_apart_from_the_rest_of_the_roster(
    client: ServiceClient,
) -> None:
    # The finding: a delta marking every student tobedeleted was a quarter of the roster and
    # passed a whole-roster limit of a half.
    district = await new_district(client)
    first = await upload(client, district, _school_of(12))
    assert first["state"] == "succeeded", first
    delta = {
        "manifest.csv": manifest(users="delta"),
        "users.csv": DELETE_HEADER + "".join(f"st-{n},tobedeleted,,,\n" for n in range(12)),
    }
    dry = await upload(client, district, delta, dry_run="true")
    assert dry["state"] == "refused", (dry["error"], dry["report"])
    kinds = dry["report"]["guard"]["kinds"]
    total = sum(k["active"] for k in kinds.values())
    assert kinds["users:student"]["deleted"] == 12 and 12 / total < 0.5
    assert dry["report"]["guard"]["tripped"] == ["users:student"]
    assert "12 of 12 active students (100%; the limit is 20%)" in dry["error"]
    assert all(u["status"] == "active" for u in (await students(client, district)).values())
    assert "learner.deleted" not in await events_of(client, district)
    # two of twelve is within the students' limit: the same delta for two goes through
    two = {**delta, "users.csv": DELETE_HEADER + "st-0,tobedeleted,,,\nst-1,tobedeleted,,,\n"}
    applied = await upload(client, district, two)
    assert applied["state"] == "succeeded", applied
    assert applied["report"]["guard"]["kinds"]["users:student"]["changed_share"] == round(2 / 12, 4)
    forced = await upload(client, district, delta, force="true")
    assert forced["state"] == "succeeded" and forced["report"]["guard"]["tripped"] == [
        "users:student"
    ]
    assert (await events_of(client, district)).count("learner.deleted") == 12


async def test_guard_limits_come_from_the_settings(test_db: devstack_testing.TestDatabase) -> None:
    settings = ProfilesSettings(
        database_url=test_db.url, environment="test",
        import_guard_max_share={"users:student": 0.1}, import_guard_min_rows=1,
    )  # fmt: skip
    async with service_client(create_app, settings, MIGRATIONS) as strict_client:
        district = await new_district(strict_client)
        await upload(strict_client, district, _school_of(12))
        two = {
            "manifest.csv": manifest(users="delta"),
            "users.csv": DELETE_HEADER + "st-0,tobedeleted,,,\nst-1,tobedeleted,,,\n",
        }
        refused = await upload(strict_client, district, two)
        assert refused["state"] == "refused", refused
        assert refused["report"]["guard"]["kinds"]["users:student"]["max_share"] == 0.1
        assert refused["report"]["guard"]["min_rows"] == 1
    with pytest.raises(ValueError, match="unknown guard kind"):
        ProfilesSettings(database_url=test_db.url, import_guard_max_share={"pupils": 0.1})


async def test_the_zip_size_limit_comes_from_the_settings(
    test_db: devstack_testing.TestDatabase,
) -> None:
    # Random ids: a zip past the setting's 1 KiB floor (and the size it is deflated to is exact).
    rows = "".join(f"{uuid.uuid4().hex},tobedeleted,,,\n" for _ in range(80))
    files = {"manifest.csv": manifest(users="delta"), "users.csv": DELETE_HEADER + rows}
    limit = len(zipped(files))
    settings = ProfilesSettings(
        database_url=test_db.url, environment="test", import_max_upload_bytes=limit
    )
    async with service_client(create_app, settings, MIGRATIONS) as small_client:
        district = await new_district(small_client)
        headers = small_client.as_(admin_of(district))
        at_limit = await upload(small_client, district, files)
        # One more random row: its 32 hex digits deflate to 16 bytes or more.
        over = {**files, "users.csv": files["users.csv"] + f"{uuid.uuid4().hex},tobedeleted,,,\n"}
        refused = await small_client.post(
            "/v1/roster/imports",
            files={"file": ("roster.zip", zipped(over), "application/zip")},
            headers=headers,
        )
        assert refused.status_code == 413, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert f"larger than {limit} bytes" in refused.json()["detail"]
        jobs = await small_client.get("/v1/roster/imports", headers=headers)
        assert [job["id"] for job in jobs.json()["items"]] == [at_limit["id"]]  # no job for it


def _multipart(zip_bytes: bytes, boundary: str = "pathwise-test-boundary") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="roster.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + zip_bytes
        + f"\r\n--{boundary}--\r\n".encode()
    )


async def _chunks(body: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    """A body without a Content-Length (httpx sends an iterator as chunked transfer encoding)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    client: ServiceClient,
) -> None:
    limit = client.app.state.settings.import_max_upload_bytes + MULTIPART_ALLOWANCE
    # Straight to the app (ASGI), so the test sees every read of the body: there must be none.
    reads: list[Message] = []
    sent: list[Message] = []

    async def receive() -> Message:
        reads.append({"type": "http.request"})
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    headers: list[tuple[bytes, bytes]] = [
        (b"host", b"service"),
        (b"content-type", b"multipart/form-data; boundary=pathwise-test-boundary"),
        (b"content-length", str(limit + 1).encode()),
        *[(k.lower().encode(), v.encode()) for k, v in client.as_(admin_of(DEMO_DISTRICT)).items()],
    ]
    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/roster/imports", "raw_path": b"/v1/roster/imports",
        "root_path": "", "query_string": b"", "client": ("127.0.0.1", 50000),
        "server": ("service", 80), "headers": headers,
    }  # fmt: skip
    await client.app(scope, receive, send)
    assert reads == []
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    answered = {k.decode(): v.decode() for k, v in start["headers"]}
    assert answered["content-type"] == "application/problem+json"
    assert "x-request-id" in answered  # inside the request id middleware, like every answer
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"/problems/body-too-large" in body and str(limit).encode() in body
    # At the limit the declared length alone refuses nothing (the body is then judged by size).
    scope["headers"] = [
        (k, str(limit).encode() if k == b"content-length" else v) for k, v in headers
    ]
    reads.clear()
    sent.clear()

    async def short_receive() -> Message:
        reads.append({"type": "http.request"})
        return {"type": "http.request", "body": _multipart(b"not a zip"), "more_body": False}

    await client.app(scope, short_receive, send)
    assert reads  # read this time, and judged by the route: not a zip
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 422


async def test_oversized_uploads_are_refused_while_streaming_and_leave_nothing(
    test_db: devstack_testing.TestDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every temporary file of this process (the multipart spool, the job's folder) goes here.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = ProfilesSettings(
        database_url=test_db.url, environment="test", import_max_upload_bytes=1024
    )
    limit = 1024 + MULTIPART_ALLOWANCE
    async with service_client(create_app, settings, MIGRATIONS) as small_client:
        district = await new_district(small_client)
        headers = {
            **small_client.as_(admin_of(district)),
            "Content-Type": "multipart/form-data; boundary=pathwise-test-boundary",
        }
        # Chunked and within the limit (as the gateway streams an upload): accepted.
        small = {"manifest.csv": manifest(users="delta"), "users.csv": DELETE_HEADER}
        accepted = await small_client.post(
            "/v1/roster/imports", content=_chunks(_multipart(zipped(small))), headers=headers
        )
        assert accepted.status_code == 202, accepted.text
        await wait_job(small_client, accepted.json(), headers)
        # Chunked, no Content-Length, and past the limit: stopped as it streams.
        body = _multipart(os.urandom(limit))
        refused = await small_client.post(
            "/v1/roster/imports", content=_chunks(body), headers=headers
        )
        assert "content-length" not in refused.request.headers
        assert refused.status_code == 413, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "https://pathwise.dev/problems/body-too-large"
        assert f"larger than {limit} bytes" in refused.json()["detail"]
        # With its Content-Length (httpx counts the form): refused before it is read.
        declared = await small_client.post(
            "/v1/roster/imports",
            files={"file": ("roster.zip", os.urandom(limit), "application/zip")},
            headers=small_client.as_(admin_of(district)),
        )
        assert declared.status_code == 413, declared.text
        jobs = await small_client.get("/v1/roster/imports", headers=headers)
        assert [job["id"] for job in jobs.json()["items"]] == [accepted.json()["id"]]
    assert list(tmp_path.iterdir()) == []


async def test_delta_mode_applies_only_what_it_names(client: ServiceClient) -> None:
    district = await new_district(client)
    await upload(client, district, BASE)
    delta = {
        "manifest.csv": manifest(users="delta", enrollments="delta", orgs="absent"),
        # the delete carries only its id; the new user has its role in users.csv (1.1 style)
        "users.csv": "sourcedId,status,username,givenName,familyName,role,orgSourcedIds,grades\n"
        "st-2,tobedeleted,,,,,,\n"
        "st-4,active,dee.p,Dee,Park,student,s1,04\n",
        "enrollments.csv": "sourcedId,status,classSourcedId,userSourcedId,role\n"
        "e3,tobedeleted,,,\n"
        "e5,active,k-4a,st-4,student\n",
    }
    job = await upload(client, district, delta)
    assert job["state"] == "succeeded", job
    diff = job["report"]["diff"]
    assert (diff["users"]["created"], diff["users"]["deleted"]) == (1, 1)
    assert (diff["enrollments"]["created"], diff["enrollments"]["deleted"]) == (1, 1)
    found = await students(client, district)
    assert found["st-2"]["status"] == "tobedeleted"
    assert found["st-1"]["status"] == "active" and found["st-4"]["status"] == "active"
    events = await events_of(client, district)
    assert events.count("learner.deleted") == 1 and events.count("learner.created") == 4
    # Bulk-emitted events are numbered per subject across imports (docs/events.md, "Order"):
    # st-2's learner.created (first import) is 1 and its learner.deleted (delta) 2.
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(outbox.c.envelope).where(outbox.c.district_id == district).order_by(outbox.c.id)
        )
        envelopes = list(rows.scalars())
    by_subject: dict[str, list[int]] = {}
    for envelope in envelopes:
        by_subject.setdefault(envelope["subject"], []).append(envelope["sequence"])
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in by_subject.values())
    assert sorted(len(n) for n in by_subject.values())[-1] >= 2


async def test_agents_become_guardian_links(client: ServiceClient) -> None:
    district = await new_district(client)
    await upload(client, district, BASE)
    delta = {
        "manifest.csv": manifest(users="delta"),
        # a parent naming a child, and a student (st-2) naming a guardian; g-3 names a teacher
        "users.csv": "sourcedId,username,givenName,familyName,role,orgSourcedIds,agentSourcedIds\n"
        "g-1,gwen.s,Gwen,Silva,parent,s1,st-1\n"
        "g-2,hal.o,Hal,Okafor,relative,s1,\n"
        'st-2,ben.o,Ben,Okafor,student,s1,"g-2,nobody"\n'
        "g-3,ida.k,Ida,Kim,guardian,s1,t-1\n",
    }
    job = await upload(client, district, delta)
    assert job["state"] == "succeeded", job
    assert job["report"]["diff"]["guardian_links"]["created"] == 2
    assert [(e["line"], e["field"]) for e in job["report"]["errors"]] == [(4, "agentSourcedIds")]
    admin = client.as_(admin_of(district))
    found = await students(client, district)
    links = await client.get("/v1/guardians", params={"limit": 50}, headers=admin)
    pairs = {(link["student_id"], link["relationship"]) for link in links.json()["items"]}
    assert pairs == {(found["st-1"]["id"], "parent"), (found["st-2"]["id"], "relative")}
    gwen = next(k for k in links.json()["items"] if k["student_id"] == found["st-1"]["id"])
    as_gwen = make_principal(district, roles=["guardian"], user_id=uuid.UUID(gwen["guardian_id"]))
    child = await client.get(
        f"/v1/learners/{found['st-1']['id']}/profile", headers=client.as_(as_gwen)
    )
    assert child.status_code == 200, child.text
    other_child = await client.get(
        f"/v1/learners/{found['st-3']['id']}/profile", headers=client.as_(as_gwen)
    )
    assert other_child.status_code == 403
    again = await upload(client, district, delta)
    assert again["report"]["diff"]["guardian_links"]["created"] == 0
    assert again["report"]["diff"]["users"]["unchanged"] == 4


async def test_oneroster_1_1_is_mapped(client: ServiceClient) -> None:
    district = await new_district(client)
    files = {
        "manifest.csv": manifest("1.1", orgs="bulk", users="bulk"),
        "orgs.csv": BASE["orgs.csv"],
        "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,"
        "userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,"
        "grades,password\n"
        'u1,active,,true,"s1,s2",teacher,pat.t,,Pat,Teach,,,,,,,,\n'
        "u2,active,,true,s1,student,sam.s,,Sam,Stu,,,,,,,03,\n"
        "u3,active,,true,d1,districtAdministrator,dana.a,,Dana,Admin,,,,,,,,\n",
    }
    job = await upload(client, district, files)
    assert job["state"] == "succeeded", job
    assert job["report"]["mapped_from"] == "1.1"
    assert job["report"]["diff"]["users"]["created"] == 3
    assert set(await students(client, district)) == {"u2"}


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({**BASE, "manifest.csv": manifest("2.0", users="bulk")}, "OneRoster 1.2"),
        ({**BASE, "manifest.csv": "propertyName,value\nmanifest.version,1.0\n"}, "OneRoster 1.2"),
        ({k: v for k, v in BASE.items() if k != "users.csv"}, "users.csv"),
        ({k: v for k, v in BASE.items() if k != "manifest.csv"}, "manifest.csv"),
        ({**BASE, "../users.csv": "x"}, "outside the archive"),
        ({**BASE, "/etc/cron.d/x": "x"}, "outside the archive"),
    ],
    ids=["other-version", "no-version", "missing-file", "no-manifest", "dotdot", "absolute"],
)
async def test_bad_file_sets_are_refused_before_a_job_starts(
    client: ServiceClient, files: dict[str, str], words: str
) -> None:
    district = await new_district(client)
    response = await client.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", zipped(files), "application/zip")},
        headers=client.as_(admin_of(district)),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]
    listed = await client.get("/v1/roster/imports", headers=client.as_(admin_of(district)))
    assert listed.json()["items"] == []


async def test_files_in_a_folder_of_the_zip_are_found(client: ServiceClient) -> None:
    district = await new_district(client)
    headers = client.as_(admin_of(district))
    response = await client.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", zipped(BASE, prefix="export-2026/"), "application/zip")},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    assert (await wait_job(client, response.json(), headers))["state"] == "succeeded"


async def test_bad_requests_and_access(client: ServiceClient) -> None:
    district = await new_district(client)
    admin = client.as_(admin_of(district))
    not_zip = await client.post(
        "/v1/roster/imports", files={"file": ("r.zip", b"plain text", "application/zip")},
        headers=admin,
    )  # fmt: skip
    assert not_zip.status_code == 422 and "zip" in not_zip.json()["detail"]
    no_file = await client.post("/v1/roster/imports", data={"dry_run": "true"}, headers=admin)
    assert no_file.status_code == 422
    unknown = await client.post(
        "/v1/roster/imports",
        files={"file": ("r.zip", zipped(BASE), "application/zip")},
        data={"colour": "red"},
        headers=admin,
    )
    assert unknown.status_code == 422 and "colour" in unknown.text
    bad_bool = await client.post(
        "/v1/roster/imports",
        files={"file": ("r.zip", zipped(BASE), "application/zip")},
        data={"strict": "sometimes"},
        headers=admin,
    )
    assert bad_bool.status_code == 422
    teacher = make_principal(district, roles=["teacher"])
    forbidden = await client.post(
        "/v1/roster/imports", files={"file": ("r.zip", zipped(BASE), "application/zip")},
        headers=client.as_(teacher),
    )  # fmt: skip
    assert forbidden.status_code == 403
    job = await upload(client, district, BASE, dry_run="true")
    other = client.as_(make_principal(DEMO_DISTRICT, roles=["district_admin"]))
    assert (await client.get(f"/v1/roster/imports/{job['id']}", headers=other)).status_code == 404
    assert (
        await client.get(f"/v1/roster/imports/{uuid.uuid4()}", headers=admin)
    ).status_code == 404
    assert (await client.get("/v1/roster/imports/nope", headers=admin)).status_code == 422
    listed = await client.get("/v1/roster/imports", headers=admin)
    assert [j["id"] for j in listed.json()["items"]] == [job["id"]]
    assert (
        await client.get("/v1/roster/imports", params={"cursor": "zz"}, headers=admin)
    ).status_code == 400


# --- folder imports (operators) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def import_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("import-root")
    (root / "north").mkdir()
    for name, text in BASE.items():
        (root / "north" / name).write_text(text, encoding="utf-8")
    outside = tmp_path_factory.mktemp("outside")
    for name, text in BASE.items():
        (outside / name).write_text(text, encoding="utf-8")
    (root / "sneaky").symlink_to(outside, target_is_directory=True)
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


async def test_folder_import_under_the_import_root(folder_client: ServiceClient) -> None:
    district = await new_district(folder_client)
    operator = folder_client.as_(make_principal(district, kind="system", subject="system:ops"))
    response = await folder_client.post(
        "/v1/roster/imports/folder", json={"path": "north"}, headers=operator
    )
    assert response.status_code == 202, response.text
    job = await wait_job(folder_client, response.json(), operator)
    assert job["state"] == "succeeded" and job["source"] == "folder"
    assert set(await students(folder_client, district)) == {"st-1", "st-2", "st-3"}


@pytest.mark.parametrize("path", ["../outside", "/etc", "north/../../x", "sneaky", "absent"])
async def test_folder_paths_outside_the_root_are_refused(
    folder_client: ServiceClient, path: str
) -> None:
    district = await new_district(folder_client)
    operator = folder_client.as_(make_principal(district, kind="system", subject="system:ops"))
    response = await folder_client.post(
        "/v1/roster/imports/folder", json={"path": path}, headers=operator
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "https://pathwise.dev/problems/bad-folder"


async def test_folder_import_is_for_operators_only(
    folder_client: ServiceClient, client: ServiceClient
) -> None:
    district = await new_district(folder_client)
    admin = folder_client.as_(admin_of(district))
    response = await folder_client.post(
        "/v1/roster/imports/folder", json={"path": "north"}, headers=admin
    )
    assert response.status_code == 403
    extra = await folder_client.post(
        "/v1/roster/imports/folder", json={"path": "north", "mode": "bulk"},
        headers=folder_client.as_(make_principal(district, kind="system", subject="system:ops")),
    )  # fmt: skip
    assert extra.status_code == 422 and "body.mode" in extra.text
    # without an import root, folder imports are off
    disabled = await client.post(
        "/v1/roster/imports/folder", json={"path": "north"},
        headers=client.as_(make_principal(district, kind="system", subject="system:ops")),
    )  # fmt: skip
    assert disabled.status_code == 422 and "PROFILES_IMPORT_ROOT" in disabled.json()["detail"]
