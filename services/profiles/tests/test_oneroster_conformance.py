"""OneRoster as real exports send it, through the import API: departments and other org types,
users of non-school orgs, role dates, demographics keyed either way, messages that name the
failed row. Each case is a small file set (the shape of ``oneroster_samples``)."""

import sys
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pathwise_devstack.testing import ServiceClient
from pathwise_profiles.models import schools, user_roles, user_schools, users
from pathwise_profiles.oneroster_samples import BASE, manifest

# The import tests' helpers (tests are not a package under importlib mode: their folder goes on
# the path, and mypy, which reads them as files, does not follow the import).
sys.path.insert(0, str(Path(__file__).parent))
from test_imports_api import admin_of, new_district, upload  # type: ignore[import-not-found]

ORGS_HEADER = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
CLASSES_HEADER = "sourcedId,status,title,grades,courseSourcedId,schoolSourcedId,termSourcedIds\n"
USERS_HEADER = "sourcedId,status,username,givenName,familyName,role,orgSourcedIds,grades\n"
ROLES_HEADER = (
    "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
    "orgSourcedId,userProfileSourcedId\n"
)
SESSIONS_HEADER = "sourcedId,status,title,type,startDate,endDate,parentSourcedId,schoolYear\n"

# A district with a school, a department of it, a department of that department, and a
# department that hangs from the district directly (no school above it).
ORGS = ORGS_HEADER + (
    "d1,active,,North District,district,,\n"
    "s1,active,,North Elementary,school,NE,d1\n"
    "dep-math,active,,Math Department,department,,s1\n"
    "dep-math-4,active,,Grade 4 Math,department,,dep-math\n"
    "dep-office,active,,District Office,department,,d1\n"
)


def _errors(job: dict[str, Any]) -> dict[tuple[str, int, str], str]:
    return {(e["file"], e["line"], e["field"]): e["message"] for e in job["report"]["errors"]}


def _warnings(job: dict[str, Any]) -> dict[tuple[str, int, str], str]:
    return {(e["file"], e["line"], e["field"]): e["message"] for e in job["report"]["warnings"]}


async def _schools_of(client: ServiceClient, district: uuid.UUID) -> dict[str, set[str]]:
    """Each user's schools by sourcedId (the database's view, not the API's)."""
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(users.c.sourced_id, schools.c.sourced_id)
            .select_from(users)
            .outerjoin(user_schools, user_schools.c.user_id == users.c.id)
            .outerjoin(schools, schools.c.id == user_schools.c.school_id)
            .where(users.c.district_id == district)
        )
        found: dict[str, set[str]] = {}
        for user, school in rows:
            found.setdefault(user, set())
            if school is not None:
                found[user].add(school)
        return found


async def _roles_of(client: ServiceClient, district: uuid.UUID) -> dict[str, set[str]]:
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(users.c.sourced_id, user_roles.c.role)
            .join(user_roles, user_roles.c.user_id == users.c.id)
            .where(users.c.district_id == district)
        )
        found: dict[str, set[str]] = {}
        for user, role in rows:
            found.setdefault(user, set()).add(role)
        return found


async def test_classes_and_users_of_departments_belong_to_the_school_above(
    client: ServiceClient,
) -> None:
    district = await new_district(client)
    files = {
        "manifest.csv": manifest(orgs="bulk", classes="bulk", users="bulk"),
        "orgs.csv": ORGS,
        "classes.csv": CLASSES_HEADER + (
            "k-dep,active,Math 4A,04,,dep-math,\n"
            "k-deeper,active,Math 4B,04,,dep-math-4,\n"
            "k-office,active,Planning,,,dep-office,\n"
            "k-none,active,Lost,,,nowhere,\n"
        ),
        "users.csv": USERS_HEADER + (
            "t-dep,active,tdep,Tom,Dep,teacher,dep-math-4,\n"
            "st-d,active,std,Sue,District,student,d1,04\n"
            "t-office,active,toff,Tia,Office,teacher,dep-office,\n"
            "adm,active,dadm,Dee,Admin,districtAdministrator,d1,\n"
            "g-d,active,gd,Gus,Guardian,parent,d1,\n"
        ),
    }  # fmt: skip
    job = await upload(client, district, files)
    assert job["state"] == "succeeded", job
    assert job["report"]["diff"]["classes"]["created"] == 2
    errors = _errors(job)
    assert set(errors) == {("classes", 4, "schoolSourcedId"), ("classes", 5, "schoolSourcedId")}
    assert errors[("classes", 4, "schoolSourcedId")] == (
        "org 'dep-office' (department) → 'd1' (district) is not a school and has no school above "
        "it; name the school (or a department of it)"
    )
    assert errors[("classes", 5, "schoolSourcedId")] == (
        "no school with sourcedId 'nowhere' in this file set or your district"
    )
    admin_headers = client.as_(admin_of(district))
    classes = (await client.get("/v1/classes", headers=admin_headers)).json()["items"]
    school_ids = {c["sourced_id"]: c["school_id"] for c in classes}
    listed = (await client.get("/v1/schools", headers=admin_headers)).json()["items"]
    s1 = next(s["id"] for s in listed if s["sourced_id"] == "s1")
    assert school_ids == {"k-dep": s1, "k-deeper": s1}
    # users: created, with the school above their department; the ones left with no school
    # (and needing one) are reported, the district admin and the guardian are not
    assert await _schools_of(client, district) == {
        "t-dep": {"s1"}, "st-d": set(), "t-office": set(), "adm": set(), "g-d": set(),
    }  # fmt: skip
    warnings = _warnings(job)
    assert set(warnings) == {("users", 3, "orgSourcedIds"), ("users", 4, "orgSourcedIds")}
    assert "'d1' (district)" in warnings[("users", 3, "orgSourcedIds")]
    assert "'dep-office' (department) → 'd1' (district)" in warnings[("users", 4, "orgSourcedIds")]
    assert "kept without a school" in warnings[("users", 3, "orgSourcedIds")]
    assert job["report"]["warning_count"] == 2


async def test_role_dates_are_honoured(client: ServiceClient) -> None:
    district = await new_district(client)
    files = {
        "manifest.csv": manifest(orgs="bulk", users="bulk", roles="bulk"),
        "orgs.csv": ORGS,
        "users.csv": USERS_HEADER.replace(",role,orgSourcedIds", ",,") + (
            "u-past,active,upast,Pat,Past,,,\n"
            "u-future,active,ufut,Fay,Future,,,\n"
            "u-now,active,unow,Nia,Now,,,\n"
            "u-mixed,active,umix,Max,Mixed,,,\n"
        ),
        "roles.csv": ROLES_HEADER + (
            "r1,active,,u-past,primary,student,2000-08-01,2001-06-30,s1,\n"
            "r2,active,,u-future,primary,teacher,2999-08-01,,s1,\n"
            "r3,active,,u-now,primary,student,2000-08-01,2999-06-30,s1,\n"
            "r4,active,,u-mixed,primary,teacher,,,s1,\n"
            "r5,active,,u-mixed,secondary,parent,2000-01-01,2000-12-31,s1,\n"
            "r6,active,,u-now,primary,student,2026-09-01,2026-08-01,s1,\n"
        ),
    }  # fmt: skip
    job = await upload(client, district, files)
    assert job["state"] == "succeeded", job
    assert await _roles_of(client, district) == {"u-now": {"student"}, "u-mixed": {"teacher"}}
    warnings = _warnings(job)
    assert warnings == {
        ("roles", 2, "endDate"): "the student role of 'u-past' ended on 2001-06-30: not granted",
        ("roles", 3, "beginDate"): "the teacher role of 'u-future' begins on 2999-08-01: not "
        "granted",
        ("roles", 6, "endDate"): "the guardian role of 'u-mixed' ended on 2000-12-31: not granted",
    }
    errors = _errors(job)
    assert errors[("roles", 7, "endDate")] == "is before beginDate"
    for line in (2, 3):  # u-past and u-future: no role in effect, so not created
        assert "no role in effect" in errors[("users", line, "role")]
    assert job["report"]["diff"]["users"]["created"] == 2


async def test_demographics_with_either_key_are_read_and_not_stored(
    client: ServiceClient,
) -> None:
    for header in ("userSourcedId", "sourcedId"):
        district = await new_district(client)
        files = {
            **BASE,
            "demographics.csv": f"{header},status,birthDate,sex\n"
            "st-1,active,2016-03-01,female\nst-2,active,2016-05-01,male\n",
        }
        job = await upload(client, district, files)
        assert job["state"] == "succeeded", (header, job["error"])
        assert job["report"]["not_stored"] == {"demographics.csv": 2}
        assert (
            "demographics.csv: 2 row(s) read and not stored; Pathwise keeps no demographics"
            in job["report"]["notes"]
        )
        assert "demographics.csv" not in job["report"]["ignored_columns"]
    district = await new_district(client)
    neither = await upload(
        client, district, {**BASE, "demographics.csv": "birthDate,sex\n2016-03-01,female\n"}
    )
    assert neither["state"] == "failed"
    assert neither["error"] == (
        "demographics.csv: needs one of the columns sourcedId or userSourcedId."
    )


async def test_messages_name_kinds_in_the_singular(client: ServiceClient) -> None:
    district = await new_district(client)
    files = {
        **BASE,
        "classes.csv": BASE["classes.csv"] + "k-x,active,,Lost,04,c-none,,,,s1,t-none,,,,\n",
        "enrollments.csv": BASE["enrollments.csv"] + "e9,active,,k-9z,s1,st-1,student,,,\n",
    }
    job = await upload(client, district, files)
    messages = _errors(job)
    assert messages == {
        ("classes", 4, "courseSourcedId"): "no course with sourcedId 'c-none' in this file set "
        "or your district",
        ("classes", 4, "termSourcedIds"): "no academic session with sourcedId 't-none' in this "
        "file set or your district",
        ("enrollments", 6, "classSourcedId"): "no class with sourcedId 'k-9z' in this file set "
        "or your district",
    }
    assert not any("classe " in m for m in messages.values())


async def test_a_session_whose_parent_failed_names_the_parent(client: ServiceClient) -> None:
    district = await new_district(client)
    files = {
        "manifest.csv": manifest(orgs="bulk", academicSessions="bulk", classes="bulk"),
        "orgs.csv": ORGS,
        # y-bad fails to read (its dates); y-late is after its child in the file and fails to
        # plan (its own parent is y-bad); t-grand's parent t-late fails with y-late; t-lone's
        # parent is nowhere at all, which only costs it its parent (a warning)
        "academicSessions.csv": SESSIONS_HEADER + (
            "t-fall,active,Fall,term,2026-08-15,2026-12-20,y-bad,2027\n"
            "y-bad,active,2026-27,schoolYear,2026-08-15,soon,,2027\n"
            "t-late,active,Spring,term,2027-01-05,2027-06-15,y-late,2027\n"
            "t-grand,active,Q3,gradingPeriod,2027-01-05,2027-03-15,t-late,2027\n"
            "y-late,active,2026-27,schoolYear,2026-08-15,2027-06-15,y-bad,2027\n"
            "y-ok,active,2027-28,schoolYear,2027-08-15,2028-06-15,,2028\n"
            "t-lone,active,Summer,term,2027-06-20,2027-08-10,nobody,2027\n"
        ),
        "classes.csv": CLASSES_HEADER + "k-1,active,Math,04,,s1,t-fall\n",
    }  # fmt: skip
    job = await upload(client, district, files)
    assert job["state"] == "succeeded", job
    errors = _errors(job)
    assert errors[("academicSessions", 2, "parentSourcedId")] == (
        "parent academic session 'y-bad' failed to import (academicSessions.csv line 3); fix "
        "that row and this one imports too"
    )
    assert errors[("academicSessions", 6, "parentSourcedId")] == (
        "parent academic session 'y-bad' failed to import (academicSessions.csv line 3); fix "
        "that row and this one imports too"
    )
    assert ("academicSessions", 8, "parentSourcedId") not in errors
    assert _warnings(job)[("academicSessions", 8, "parentSourcedId")] == (
        "parent academic session 'nobody' is in neither this file set nor your district; the "
        "session is imported without a parent"
    )
    assert errors[("academicSessions", 4, "parentSourcedId")] == (
        "parent academic session 'y-late' failed to import (academicSessions.csv line 6); fix "
        "that row and this one imports too"
    )
    assert errors[("academicSessions", 5, "parentSourcedId")] == (
        "parent academic session 't-late' failed to import (academicSessions.csv line 4); fix "
        "that row and this one imports too"
    )
    assert errors[("classes", 2, "termSourcedIds")] == (
        "academic session 't-fall' failed to import (academicSessions.csv line 2); fix that row "
        "and this one imports too"
    )
    assert job["report"]["diff"]["sessions"]["samples"]["created"] == ["y-ok", "t-lone"]
