"""``GET /v1/changes``: the district's change feed of roster records and learner profiles, in
process against the real app and database (SQLite, and PostgreSQL with
``PATHWISE_TEST_DATABASE=postgresql``, where the concurrent-writers test runs)."""

import asyncio
import uuid
from typing import Any

import pytest

from pathwise_devstack.testing import ServiceClient, backend, make_principal
from pathwise_profiles.domain.change_feed import encode_cursor
from pathwise_profiles.oneroster_samples import BASE, zipped
from pathwise_profiles.schemas.roster import SchoolCreate
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_profiles.service.roster.schools import create_school
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work

OPS = make_principal(kind="system", subject="system:ops")


async def new_district(client: ServiceClient, name: str = "Feed") -> tuple[uuid.UUID, Principal]:
    created = await client.post("/v1/districts", json={"name": name}, headers=client.as_(OPS))
    assert created.status_code == 201, created.text
    district = uuid.UUID(created.json()["id"])
    return district, make_principal(district, roles=["district_admin"])


async def read_all(
    client: ServiceClient, who: Principal, *, cursor: str | None = None, limit: int = 3
) -> tuple[list[dict[str, Any]], str]:
    """Every entry after ``cursor``, page by page; the last ``next_cursor``."""
    entries: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    while True:
        page = await client.get("/v1/changes", params=params, headers=client.as_(who))
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= limit
        entries += body["items"]
        params["cursor"] = body["next_cursor"]
        if not body["has_more"]:
            return entries, body["next_cursor"]


async def post(client: ServiceClient, who: Principal, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(path, json=body, headers=client.as_(who))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def small_roster(client: ServiceClient, admin: Principal) -> dict[str, Any]:
    school = await post(client, admin, "/v1/schools", {"name": "Oak", "sourced_id": "sch-1"})
    klass = await post(client, admin, "/v1/classes", {"title": "Math 4", "school_id": school["id"]})
    people = {}
    for role in ("teacher", "student", "guardian"):
        people[role] = await post(
            client,
            admin,
            "/v1/users",
            {"username": f"{role}-1", "given_name": role, "family_name": "One",
             "roles": [role], "school_ids": [school["id"]], "sourced_id": f"u-{role}"},
        )  # fmt: skip
    enrollments = {
        role: await post(
            client,
            admin,
            f"/v1/classes/{klass['id']}/enrollments",
            {"user_id": people[role]["id"], "role": role, "sourced_id": f"e-{role}"},
        )
        for role in ("teacher", "student")
    }
    link = await post(
        client,
        admin,
        "/v1/guardians",
        {"guardian_id": people["guardian"]["id"], "student_id": people["student"]["id"]},
    )
    return {"school": school, "class": klass, "people": people,
            "enrollments": enrollments, "link": link}  # fmt: skip


async def test_writes_appear_in_order_with_their_current_records(client: ServiceClient) -> None:
    _, admin = await new_district(client)
    roster = await small_roster(client, admin)
    renamed = await client.patch(
        f"/v1/schools/{roster['school']['id']}", json={"name": "Oak Hill"},
        headers=client.as_(admin),
    )  # fmt: skip
    assert renamed.status_code == 200
    entries, _ = await read_all(client, admin)
    seqs = [e["seq"] for e in entries]
    assert seqs == list(range(1, len(entries) + 1))
    kinds = [(e["object_type"], e["operation"]) for e in entries]
    assert kinds[0] == ("district", "upsert")
    assert ("class", "upsert") in kinds and ("guardian_link", "upsert") in kinds
    # the student's user and profile, the two enrollments; the renamed school comes last
    assert kinds.count(("learner_profile", "upsert")) == 1
    assert kinds.count(("enrollment", "upsert")) == 2
    last = entries[-1]
    assert (last["object_type"], last["object_id"]) == ("school", roster["school"]["id"])
    assert last["object"]["name"] == "Oak Hill"  # the record as it is now
    assert last["href"] == f"/v1/schools/{roster['school']['id']}"
    student = roster["people"]["student"]
    (user_entry,) = [
        e for e in entries if e["object_id"] == student["id"] and e["object_type"] == "user"
    ]
    assert user_entry["object"]["roles"] == ["student"]
    assert user_entry["object"]["school_ids"] == [roster["school"]["id"]]
    (profile_entry,) = [e for e in entries if e["object_type"] == "learner_profile"]
    assert profile_entry["object"] is None  # a link only: visibility depends on the reader
    assert profile_entry["href"] == f"/v1/learners/{student['id']}/profile"
    enrollment = next(e for e in entries if e["object_type"] == "enrollment")
    assert enrollment["object"]["primary"] is False and enrollment["object"]["class_id"]
    # each entry's cursor resumes right after it
    middle = entries[4]
    rest, _ = await read_all(client, admin, cursor=middle["cursor"])
    assert [e["seq"] for e in rest] == seqs[5:]
    # another district's feed has none of it
    other, _ = await read_all(client, make_principal(DEMO_DISTRICT, roles=["district_admin"]))
    assert not {e["object_id"] for e in other} & {e["object_id"] for e in entries}


async def test_deleting_a_learner_ends_enrollments_and_links_as_tombstones(
    client: ServiceClient,
) -> None:
    district, admin = await new_district(client)
    roster = await small_roster(client, admin)
    _, cursor = await read_all(client, admin)
    student = roster["people"]["student"]
    gone = await client.delete(f"/v1/users/{student['id']}", headers=client.as_(admin))
    assert gone.status_code == 204
    entries, end = await read_all(client, admin, cursor=cursor)
    assert {(e["object_type"], e["object_id"], e["operation"]) for e in entries} == {
        ("user", student["id"], "delete"),
        ("enrollment", roster["enrollments"]["student"]["id"], "delete"),
        ("guardian_link", roster["link"]["id"], "delete"),
        ("learner_profile", student["id"], "delete"),
    }
    for entry in entries:
        assert entry["object"] is None
        assert entry["tombstone"]["id"] == entry["object_id"]
        assert entry["tombstone"]["deleted_at"] == entry["changed_at"]
    (user_tomb,) = [e for e in entries if e["object_type"] == "user"]
    assert user_tomb["tombstone"]["sourced_id"] == "u-student"
    # the enrollment ended with her (the teacher's did not), and so did the guardian link
    headers = client.as_(admin)
    ended = await client.get(
        f"/v1/enrollments/{roster['enrollments']['student']['id']}", headers=headers
    )
    assert ended.json()["status"] == "tobedeleted"
    kept = await client.get(
        f"/v1/enrollments/{roster['enrollments']['teacher']['id']}", headers=headers
    )
    assert kept.json()["status"] == "active"
    links = await client.get("/v1/guardians", params={"status": "active"}, headers=headers)
    assert links.json()["items"] == []
    # her teacher and guardian no longer reach her profile (their relation ended)
    for role in ("teacher", "guardian"):
        reader = make_principal(
            district, roles=[role], user_id=uuid.UUID(roster["people"][role]["id"])
        )
        read = await client.get(f"/v1/learners/{student['id']}/profile", headers=client.as_(reader))
        assert read.status_code == 403, (role, read.text)
    # deleting her again changes nothing and adds nothing to the feed
    assert (await client.delete(f"/v1/users/{student['id']}", headers=headers)).status_code == 204
    again, _ = await read_all(client, admin, cursor=end)
    assert [(e["object_type"], e["operation"]) for e in again] == [("user", "delete")]


async def test_resume_start_now_and_an_empty_feed(client: ServiceClient) -> None:
    _, admin = await new_district(client)
    now = await client.get("/v1/changes", params={"start": "now"}, headers=client.as_(admin))
    assert now.status_code == 200
    assert now.json()["items"] == [] and now.json()["has_more"] is False
    cursor = now.json()["next_cursor"]
    school = await post(client, admin, "/v1/schools", {"name": "Elm"})
    entries, end = await read_all(client, admin, cursor=cursor)
    assert [(e["object_type"], e["object_id"]) for e in entries] == [("school", school["id"])]
    # at the end: no items, the same cursor back (keep it)
    quiet = await client.get("/v1/changes", params={"cursor": end}, headers=client.as_(admin))
    assert quiet.json() == {"items": [], "next_cursor": end, "has_more": False}
    # an explicit beginning is the default
    everything, _ = await read_all(client, admin, limit=200)
    begin = await client.get("/v1/changes", params={"start": "beginning", "limit": 200},
                             headers=client.as_(admin))  # fmt: skip
    assert begin.json()["items"] == everything


async def test_bad_cursors_are_problems(client: ServiceClient) -> None:
    district, admin = await new_district(client, "Feed A")
    _, other_admin = await new_district(client, "Feed B")
    await post(client, other_admin, "/v1/schools", {"name": "Theirs"})
    theirs = await client.get("/v1/changes", headers=client.as_(other_admin))
    foreign = theirs.json()["next_cursor"]
    cases = {
        foreign: "cursor-of-another-district",
        "garbage": "invalid-cursor",
        foreign[:-2]: "invalid-cursor",
        encode_cursor(district, 10_000): "invalid-cursor",  # ahead of the feed
    }
    for cursor, slug in cases.items():
        answer = await client.get(
            "/v1/changes", params={"cursor": cursor}, headers=client.as_(admin)
        )
        assert answer.status_code == 400, (cursor, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["type"].endswith("/" + slug), answer.text
    both = await client.get("/v1/changes", params={"cursor": encode_cursor(district, 0), "start": "now"},
                            headers=client.as_(admin))  # fmt: skip
    assert both.status_code == 400 and both.json()["type"].endswith("/invalid-query")
    for params in ({"limit": 0}, {"limit": 201}, {"start": "yesterday"}, {"cursor": "x" * 201}):
        bad = await client.get("/v1/changes", params=params, headers=client.as_(admin))
        assert bad.status_code == 422, (params, bad.text)


async def test_who_reads_the_feed(client: ServiceClient) -> None:
    district, _ = await new_district(client)
    allowed = [
        make_principal(district, roles=["district_admin"]),
        make_principal(district, kind="client", scopes=["roster:read"], subject="client:sis"),
    ]
    refused = [
        make_principal(district, roles=[role])
        for role in ("school_admin", "teacher", "student", "guardian")
    ] + [make_principal(district, kind="client", scopes=["profiles:read"], subject="client:x")]
    for who in allowed:
        assert (await client.get("/v1/changes", headers=client.as_(who))).status_code == 200
    for who in refused:
        answer = await client.get("/v1/changes", headers=client.as_(who))
        assert answer.status_code == 403, (who, answer.text)


async def test_a_refused_write_leaves_no_entry(client: ServiceClient) -> None:
    _, admin = await new_district(client)
    await post(client, admin, "/v1/schools", {"name": "Oak", "sourced_id": "dup"})
    _, cursor = await read_all(client, admin)
    twice = await client.post("/v1/schools", json={"name": "Oak 2", "sourced_id": "dup"},
                              headers=client.as_(admin))  # fmt: skip
    assert twice.status_code == 409
    entries, _ = await read_all(client, admin, cursor=cursor)
    assert entries == []


async def test_an_import_records_every_row_in_bulk(client: ServiceClient) -> None:
    _, admin = await new_district(client, "Imported")
    job = await client.post(
        "/v1/roster/imports",
        files={"file": ("r.zip", zipped(BASE), "application/zip")},
        headers=client.as_(admin),
    )
    assert job.status_code == 202, job.text
    done = await client.get(f"/v1/roster/imports/{job.json()['id']}", headers=client.as_(admin))
    assert done.json()["state"] == "succeeded", done.text
    entries, _ = await read_all(client, admin, limit=200)
    by_type: dict[str, set[str]] = {}
    for e in entries:
        by_type.setdefault(e["object_type"], set()).add(e["object_id"])
    headers = client.as_(admin)
    for path, kind in (("/v1/users", "user"), ("/v1/classes", "class"),
                       ("/v1/enrollments", "enrollment"), ("/v1/schools", "school")):  # fmt: skip
        listed = await client.get(path, params={"limit": 200}, headers=headers)
        ids = {item["id"] for item in listed.json()["items"]}
        assert ids and ids == by_type[kind], kind
    students = await client.get(
        "/v1/users", params={"role": "student", "limit": 200}, headers=headers
    )
    assert {s["id"] for s in students.json()["items"]} == by_type["learner_profile"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))


async def test_the_seeded_district_feed_starts_with_all_of_it(client: ServiceClient) -> None:
    page = await client.get(
        "/v1/changes", params={"limit": 5},
        headers=client.as_(make_principal(DEMO_DISTRICT, roles=["district_admin"])),
    )  # fmt: skip
    assert page.status_code == 200
    first = page.json()["items"][0]
    assert (first["object_type"], first["object_id"]) == ("district", str(DEMO_DISTRICT))


@pytest.mark.skipif(
    backend() != "postgresql",
    reason="SQLite runs one writer at a time: B cannot write while A is open, so the two cannot "
    "commit out of order there",
)
async def test_concurrent_writers_committing_out_of_order_are_not_skipped(
    client: ServiceClient,
) -> None:
    """Transaction A writes first and commits last; B writes after A and commits first. A reader
    between the two commits must not move its cursor past A's change."""
    _, admin = await new_district(client, "Racing")
    _, cursor = await read_all(client, admin)
    db: Database = client.app.state.db
    a_wrote, b_done, a_may_commit = asyncio.Event(), asyncio.Event(), asyncio.Event()
    seen_between: list[dict[str, Any]] = []
    resume: list[str] = []

    async def writer_a() -> None:
        async with unit_of_work(db) as s:
            await create_school(s, admin, SchoolCreate(name="A first"))
            a_wrote.set()
            await a_may_commit.wait()

    async def writer_b() -> None:
        await a_wrote.wait()
        async with unit_of_work(db) as s:
            await create_school(s, admin, SchoolCreate(name="B second"))
        b_done.set()

    async def reader() -> None:
        await b_done.wait()
        entries, after = await read_all(client, admin, cursor=cursor)
        seen_between.extend(entries)
        a_may_commit.set()
        resume.append(after)

    await asyncio.wait_for(asyncio.gather(writer_a(), writer_b(), reader()), timeout=30)
    assert [e["object"]["name"] for e in seen_between] == ["B second"]
    later, _ = await read_all(client, admin, cursor=resume[0])
    assert [e["object"]["name"] for e in later] == ["A first"]
    assert later[0]["seq"] > seen_between[0]["seq"]


@pytest.mark.skipif(
    backend() != "postgresql", reason="SQLite runs one writer at a time: nothing to race"
)
async def test_many_concurrent_writers_get_consecutive_numbers(client: ServiceClient) -> None:
    """Twelve requests of one district commit at once: each waits its turn at the counter, none
    fails, and the feed numbers them 1..n without a gap or a repeat."""
    _, admin = await new_district(client, "Crowded")
    _, cursor = await read_all(client, admin)
    answers = await asyncio.gather(
        *(
            client.post("/v1/schools", json={"name": f"S{n}"}, headers=client.as_(admin))
            for n in range(12)
        )
    )
    assert [a.status_code for a in answers] == [201] * 12
    entries, _ = await read_all(client, admin, cursor=cursor, limit=5)
    assert len(entries) == 12
    first = entries[0]["seq"]
    assert [e["seq"] for e in entries] == list(range(first, first + 12))
    assert {e["object_id"] for e in entries} == {a.json()["id"] for a in answers}
