"""A roster user record's birth date and a learner's legal hold, against the real app and
database (docs/privacy.md, "Under 13" and "Legal hold").

Birth dates: every route that answers a user record (the read, the lists, a class roster, the
answers of writes, the change feed) shows a student's ``birth_date`` to the district's admins and
to the student, and null to teachers, school admins and integration clients. Legal holds: a
roster import that marks a held learner ``tobedeleted`` is recorded as the district's system
says, and the learner stays ``held`` in the retention evaluation, their profile untouched.
"""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.domain.record_fields import record_reader
from pathwise_profiles.domain.retention import RetentionPolicy
from pathwise_profiles.models import learner_profiles
from pathwise_profiles.oneroster_samples import BASE, manifest, zipped
from pathwise_profiles.service.retention import evaluate_district
from pathwise_shared.auth import Principal
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.timeutil import utcnow

OPS = make_principal(kind="system", subject="system:ops")
BORN = "2015-04-02"


async def new_district(client: ServiceClient) -> tuple[uuid.UUID, Principal]:
    created = await client.post(
        "/v1/districts", json={"name": f"Privacy {uuid.uuid4().hex[:6]}"}, headers=client.as_(OPS)
    )
    assert created.status_code == 201, created.text
    district = uuid.UUID(created.json()["id"])
    return district, make_principal(district, roles=["district_admin"])


async def post(client: ServiceClient, who: Principal, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(path, json=body, headers=client.as_(who))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def get(client: ServiceClient, who: Principal, path: str, **params: Any) -> Any:
    answer = await client.get(path, params=params, headers=client.as_(who))
    assert answer.status_code == 200, answer.text
    return answer.json()


def person(role: str, school: str, **extra: Any) -> dict[str, Any]:
    return {"username": f"{role}-{uuid.uuid4().hex[:6]}", "given_name": role.title(),
            "family_name": "Privacy", "roles": [role], "school_ids": [school], **extra}  # fmt: skip


def as_person(district: uuid.UUID, record: dict[str, Any]) -> Principal:
    return make_principal(district, roles=record["roles"], user_id=uuid.UUID(record["id"]))


async def fed_users(client: ServiceClient, who: Principal) -> dict[str, Any]:
    """The user records the change feed shows this reader, by id (the last of each)."""
    shown: dict[str, Any] = {}
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = await get(client, who, "/v1/changes", **params)
        for entry in page["items"]:
            if entry["object_type"] == "user" and entry.get("object") is not None:
                shown[entry["object_id"]] = entry["object"]
        if not page["has_more"]:
            return shown
        params["cursor"] = page["next_cursor"]


async def test_birth_date_is_shown_to_district_admins_and_the_learner_only(
    client: ServiceClient,
) -> None:
    district, admin = await new_district(client)
    school = (await post(client, admin, "/v1/schools", {"name": "Oak"}))["id"]
    klass = (await post(client, admin, "/v1/classes", {"title": "Math", "school_id": school}))["id"]
    student = await post(client, admin, "/v1/users", person("student", school, birth_date=BORN))
    assert student["birth_date"] == BORN  # the district admin's own write answers it
    teacher = await post(client, admin, "/v1/users", person("teacher", school))
    school_admin = await post(client, admin, "/v1/users", person("school_admin", school))
    for who in (student, teacher):
        await post(client, admin, f"/v1/classes/{klass}/enrollments",
                   {"user_id": who["id"], "role": who["roles"][0]})  # fmt: skip
    sid = student["id"]
    one = f"/v1/users/{sid}"

    def listed(page: dict[str, Any]) -> dict[str, Any]:
        return next(u for u in page["items"] if u["id"] == sid)

    # Those who may see it: the district admin on every route, the learner on their own record.
    assert (await get(client, admin, one))["birth_date"] == BORN
    assert listed(await get(client, admin, "/v1/users", role="student"))["birth_date"] == BORN
    assert listed(await get(client, admin, "/v1/users", class_id=klass))["birth_date"] == BORN
    assert (await fed_users(client, admin))[sid]["birth_date"] == BORN
    assert (await get(client, as_person(district, student), one))["birth_date"] == BORN

    # A teacher reaches the record, not the birth date: null, as for a record without one.
    seen = await get(client, as_person(district, teacher), one)
    assert seen["id"] == sid and seen["birth_date"] is None
    # A school admin neither, on the reads, the class roster, or the answer of their own write.
    principal = as_person(district, school_admin)
    assert (await get(client, principal, one))["birth_date"] is None
    assert listed(await get(client, principal, "/v1/users", role="student"))["birth_date"] is None
    assert listed(await get(client, principal, "/v1/users", class_id=klass))["birth_date"] is None
    renamed = await client.patch(one, json={"given_name": "Renamed"}, headers=client.as_(principal))
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["given_name"] == "Renamed" and renamed.json()["birth_date"] is None
    # ... which changed nothing of it: the district admin still reads the date.
    assert (await get(client, admin, one))["birth_date"] == BORN
    # An integration client reading the change feed: the record, without the birth date.
    integration = make_principal(district, kind="client", scopes=["roster:read"])
    fed = (await fed_users(client, integration))[sid]
    assert fed["given_name"] == "Renamed" and fed["birth_date"] is None


def test_the_rule_lets_linked_guardians_and_the_system_see_it() -> None:
    district, learner, guardian = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    parent = make_principal(district, roles=["guardian"], user_id=guardian)
    assert record_reader(parent, [learner]).sees_birth_date(learner)
    assert not record_reader(parent).sees_birth_date(learner)
    assert record_reader(OPS).sees_birth_date(learner)
    teacher = make_principal(district, roles=["teacher"])
    assert not record_reader(teacher, [learner]).sees_birth_date(learner)  # links: guardians'


async def _upload(
    client: ServiceClient, admin: Principal, files: dict[str, str], **options: str
) -> dict[str, Any]:
    headers = client.as_(admin)
    answer = await client.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", zipped(files), "application/zip")},
        data=options,
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    for _ in range(100):
        job = await client.get(f"/v1/roster/imports/{answer.json()['id']}", headers=headers)
        if job.json()["state"] not in ("queued", "running"):
            return dict(job.json())
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish in 5 s")


async def _evaluate(client: ServiceClient, district: uuid.UUID, days_ahead: int) -> None:
    """The scheduled evaluation of this district, run as if ``days_ahead`` days from now (the
    import marks the learner today, so they are due only after the policy's period)."""
    policy = RetentionPolicy(enabled=True, delete_after_days_since_leaving=30)
    async with unit_of_work(client.app.state.db) as session:
        await evaluate_district(session, district, policy, utcnow() + timedelta(days=days_ahead))


async def test_an_import_marks_a_held_learner_and_the_hold_keeps_their_data(
    client: ServiceClient,
) -> None:
    district, admin = await new_district(client)
    assert (await _upload(client, admin, BASE))["state"] == "succeeded"
    students = await get(client, admin, "/v1/users", role="student", limit=200)
    learner = next(u["id"] for u in students["items"] if u["sourced_id"] == "st-2")
    profile_path = f"/v1/learners/{learner}/profile"
    read = await client.get(profile_path, headers=client.as_(admin))
    assert read.status_code == 200, read.text
    edited = await client.patch(
        profile_path,
        json={"strengths": ["estimation"], "pace": "faster"},
        headers={**client.as_(admin), "If-Match": read.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    policy = {"enabled": True, "delete_after_days_since_leaving": 30}
    put = await client.put(
        f"/v1/districts/{district}/retention-policy", json=policy, headers=client.as_(admin)
    )
    assert put.status_code == 200, put.text
    hold = await client.put(
        f"/v1/learners/{learner}/legal-hold",
        json={"reason": "Records request, case 7"},
        headers=client.as_(admin),
    )
    assert hold.status_code == 200, hold.text

    # The district's system says the learner left: the import records it (a mark, not a delete).
    delta = {
        "manifest.csv": manifest(users="delta", enrollments="delta", orgs="absent"),
        "users.csv": "sourcedId,status,username,givenName,familyName,role,orgSourcedIds,grades\n"
        "st-2,tobedeleted,,,,,,\n",
        "enrollments.csv": "sourcedId,status,classSourcedId,userSourcedId,role\n"
        "e3,tobedeleted,,,\n",
    }
    job = await _upload(client, admin, delta, force="true")
    assert job["state"] == "succeeded", job
    assert job["report"]["diff"]["users"]["deleted"] == 1
    assert (await get(client, admin, f"/v1/users/{learner}"))["status"] == "tobedeleted"

    # Long past the policy's period, the evaluation finds the learner due, and held.
    await _evaluate(client, district, days_ahead=400)
    report = await get(client, admin, f"/v1/districts/{district}/retention-report")
    assert [h["learner_id"] for h in report["held"]] == [learner]
    assert report["held"][0]["hold_reason"] == "Records request, case 7"
    assert learner not in {p["learner_id"] for p in report["pending"]}
    # The policy is carried out (the deletion job erases ``pending`` learners), not on them.
    assert report["counts"].get("deleted", 0) == 0

    # The learner's data is all there: the profile as it was edited, the user record itself.
    async with client.app.state.db.session() as session:
        kept = (
            (
                await session.execute(
                    select(learner_profiles).where(
                        learner_profiles.c.learner_id == uuid.UUID(learner)
                    )
                )
            )
            .mappings()
            .one()
        )
    assert kept["strengths"] == ["estimation"] and kept["pace"] == "faster"
    user = await get(client, admin, f"/v1/users/{learner}")
    assert (user["given_name"], user["family_name"]) == ("Ben", "Okafor")

    # It was the hold that kept them back: lifted, the next evaluation finds them pending.
    lifted = await client.delete(f"/v1/learners/{learner}/legal-hold", headers=client.as_(admin))
    assert lifted.status_code == 204, lifted.text
    await _evaluate(client, district, days_ahead=400)
    report = await get(client, admin, f"/v1/districts/{district}/retention-report")
    # (the others too by then: their classes' sessions have ended)
    assert learner in {p["learner_id"] for p in report["pending"]} and report["held"] == []
