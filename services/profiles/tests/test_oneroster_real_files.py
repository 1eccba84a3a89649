"""Real OneRoster CSV file sets from public repositories (``fixtures/oneroster``, each folder's
README says where from), through the import API: what each creates, and the errors and warnings
it really deserves. The zips are sent as they are; the folder of CSV files is zipped here."""

import io
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

from pathwise_devstack.testing import ServiceClient

# The import tests' helpers (tests are not a package under importlib mode: their folder goes on
# the path, and mypy, which reads them as files, does not follow the import).
sys.path.insert(0, str(Path(__file__).parent))
from test_imports_api import admin_of, new_district, wait_job  # type: ignore[import-not-found]

FIXTURES = Path(__file__).parent / "fixtures" / "oneroster"
MOODLE = FIXTURES / "moodle-enrol_oneroster"
OAT = FIXTURES / "oat-oneroster-import" / "OneRosterv1p1BaseCSV"
DEPARTMENT = (
    "department 'org-sch-222-456' has no school above it ({}); it is kept as a school so the "
    "classes and users naming it have one"
)


async def _import(client: ServiceClient, district: uuid.UUID, data: bytes) -> dict[str, Any]:
    headers = client.as_(admin_of(district))
    response = await client.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", data, "application/zip")},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    job: dict[str, Any] = await wait_job(client, response.json(), headers)
    assert job["state"] == "succeeded", job
    return job


def _created(job: dict[str, Any]) -> dict[str, int]:
    return {kind: d["created"] for kind, d in job["report"]["diff"].items() if d["created"]}


def _messages(job: dict[str, Any], which: str) -> dict[tuple[str, int, str], str]:
    return {(e["file"], e["line"], e["field"]): e["message"] for e in job["report"][which]}


async def _listed(client: ServiceClient, district: uuid.UUID, path: str) -> list[dict[str, Any]]:
    page = await client.get(path, params={"limit": 200}, headers=client.as_(admin_of(district)))
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def test_moodle_minimal_set_imports_whole_under_its_department(
    client: ServiceClient,
) -> None:
    """1.1 bulk, no dates or statuses; the only org is a department with no parent."""
    district = await new_district(client)
    data = (MOODLE / "Test_minimal_data_set.zip").read_bytes()
    job = await _import(client, district, data)
    assert job["report"]["mapped_from"] == "1.1"
    assert _created(job) == {
        "schools": 1, "sessions": 5, "classes": 2, "users": 6, "enrollments": 6,
    }  # fmt: skip
    assert job["report"]["errors"] == []
    assert _messages(job, "warnings") == {
        ("orgs", 2, "type"): DEPARTMENT.format("it has no parentSourcedId"),
        ("classes", 2, "courseSourcedId"): "no course with sourcedId 'crs-222-2023-456-12345' "
        "in your district, and this file set has no courses.csv; the class is kept without a "
        "course",
        ("classes", 3, "courseSourcedId"): "no course with sourcedId 'crs-222-2023-456-23456' "
        "in your district, and this file set has no courses.csv; the class is kept without a "
        "course",
    }
    (school,) = await _listed(client, district, "/v1/schools")
    assert (school["sourced_id"], school["name"]) == ("org-sch-222-456", "History Department")
    classes = await _listed(client, district, "/v1/classes")
    assert {c["sourced_id"]: c["school_id"] for c in classes} == {
        "cls-222-123456": school["id"], "cls-222-123478": school["id"],
    }  # fmt: skip
    # The same zip again changes nothing.
    again = await _import(client, district, data)
    diff = again["report"]["diff"]
    assert {k: d for k, d in diff.items() if d["created"] or d["updated"] or d["deleted"]} == {}


async def test_moodle_full_set_keeps_what_is_sound_and_names_the_rest(
    client: ServiceClient,
) -> None:
    """1.1 bulk: the department's parent school is not in orgs.csv, the terms' parent school
    year is not in academicSessions.csv, and one class is marked tobedeleted while three
    enrollments still name it."""
    district = await new_district(client)
    job = await _import(client, district, (MOODLE / "Test_full_data_set.zip").read_bytes())
    assert _created(job) == {
        "schools": 1, "sessions": 3, "classes": 1, "users": 6, "enrollments": 3,
        "guardian_links": 1,
    }  # fmt: skip
    deleted_class = (
        "class 'cls-222-123478' is marked tobedeleted (classes.csv line 3); an active "
        "enrollment cannot refer to it"
    )
    assert _messages(job, "errors") == {
        ("enrollments", line, "classSourcedId"): deleted_class for line in (5, 6, 7)
    }
    missing_year = (
        "parent academic session 'as-syr-222-2023' is in neither this file set nor your "
        "district; the session is imported without a parent"
    )
    assert _messages(job, "warnings") == {
        ("orgs", 2, "type"): DEPARTMENT.format(
            "its parent 'org-sch-222-3456' is in neither this file set nor your district"
        ),
        ("academicSessions", 3, "parentSourcedId"): missing_year,
        ("academicSessions", 6, "parentSourcedId"): missing_year,
        ("classes", 2, "courseSourcedId"): "no course with sourcedId 'crs-222-2023-456-12345' "
        "in your district, and this file set has no courses.csv; the class is kept without a "
        "course",
    }
    # the tobedeleted and inactive sessions were never stored, so there is nothing to delete
    assert sorted(job["report"]["diff"]["sessions"]["samples"]["created"]) == [
        "as-grp-222-3456", "as-trm-222-1234", "as-trm-222-1235",
    ]  # fmt: skip


async def test_moodle_1_2_bulk_with_roles_whose_dates_have_passed(client: ServiceClient) -> None:
    """1.2 bulk with roles.csv: every role row ended on 2025-09-23, so no user has a role in
    effect and none is created (nor their enrollments); each row says so. The file's misspelt
    columns are reported as ignored."""
    district = await new_district(client)
    job = await _import(client, district, (MOODLE / "v1p2_full_dataset.zip").read_bytes())
    assert job["report"]["mapped_from"] is None
    assert _created(job) == {"schools": 1, "sessions": 3, "classes": 1}
    errors = _messages(job, "errors")
    no_role = (
        "the user has no role in effect: every roles.csv row of theirs has ended or not begun "
        "(their lines say which)"
    )
    assert {k: v for k, v in errors.items() if k[0] == "users"} == {
        ("users", line, "role"): no_role for line in range(2, 8)
    }
    assert {k[0] for k in errors} == {"users", "enrollments"}
    assert errors[("enrollments", 2, "userSourcedId")] == (
        "user 'usr-222-123456' failed to import (users.csv line 2); fix that row and this one "
        "imports too"
    )
    warnings = _messages(job, "warnings")
    assert warnings[("roles", 2, "endDate")] == (
        "the teacher role of 'usr-222-123456' ended on 2025-09-23: not granted"
    )
    assert sum(1 for k in warnings if k[0] == "roles") == 7
    assert job["report"]["ignored_columns"] == {
        "users.csv": ["prefferedGivenName", "prefferedMiddleName", "prefferedFamilyName"],
        "roles.csv": ["dataLastModified"],
    }
    # file.scoreScales is blank in manifest.csv: not sent, so not mentioned
    assert job["report"]["notes"] == []


async def test_moodle_1_2_delta_with_roles_demographics_and_profiles(
    client: ServiceClient,
) -> None:
    district = await new_district(client)
    job = await _import(client, district, (MOODLE / "oneroster_test_data.zip").read_bytes())
    assert job["report"]["modes"]["users"] == "delta"
    assert _created(job) == {
        "schools": 1, "sessions": 1, "courses": 1, "classes": 1, "users": 1, "enrollments": 1,
    }  # fmt: skip
    assert job["report"]["errors"] == [] and job["report"]["warnings"] == []
    assert job["report"]["not_stored"] == {"demographics.csv": 1}
    assert job["report"]["notes"] == [
        "file.userProfiles is not read by this service",
        "demographics.csv: 1 row(s) read and not stored; Pathwise keeps no demographics",
    ]
    # the role comes from roles.csv (1.2 users.csv has no role column)
    (user,) = await _listed(client, district, "/v1/users")
    (school,) = await _listed(client, district, "/v1/schools")
    assert (user["sourced_id"], user["username"]) == ("USER_0", "brucewayne")
    assert user["roles"] == ["student"] and user["school_ids"] == [school["id"]]


async def test_oat_1_1_sample_with_1_0_columns_and_an_empty_sessions_file(
    client: ServiceClient,
) -> None:
    """1.1 as an OAT project ships it: extension and metadata columns, a few 1.0 column names,
    header-only files (no final newline), demographics keyed by the 1.0 column. Its classes name
    term '1' while its bulk academicSessions.csv has no row: they are refused, saying so."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(OAT.glob("*.csv")):
            archive.writestr(path.name, path.read_bytes())
    district = await new_district(client)
    job = await _import(client, district, buffer.getvalue())
    assert _created(job) == {"schools": 2, "users": 2}
    no_term = "no academic session with sourcedId '1' in this file set or your district"
    errors = _messages(job, "errors")
    assert errors == {
        ("classes", 2, "termSourcedIds"): no_term,
        ("classes", 3, "termSourcedIds"): no_term,
        ("classes", 4, "termSourcedIds"): no_term,
        ("enrollments", 2, "classSourcedId"): "class 'class1' failed to import (classes.csv line "
        "2); fix that row and this one imports too",
        ("enrollments", 3, "classSourcedId"): "class 'class2' failed to import (classes.csv line "
        "3); fix that row and this one imports too",
        ("enrollments", 4, "classSourcedId"): "class 'class3' failed to import (classes.csv line "
        "4); fix that row and this one imports too",
    }
    assert job["report"]["warnings"] == []
    ignored = job["report"]["ignored_columns"]
    assert ignored["classes.csv"] == ["grade", "ext_imagineLearning_databaseId"]
    assert "agents" in ignored["users.csv"] and "userId" in ignored["users.csv"]
    # school 12345 sits under school 54321 (a school's parent may be a school)
    schools = {s["sourced_id"]: s for s in await _listed(client, district, "/v1/schools")}
    assert set(schools) == {"12345", "54321"}
    users = {u["sourced_id"]: u for u in await _listed(client, district, "/v1/users")}
    assert users["user1"]["school_ids"] == [schools["12345"]["id"]]
    assert users["user2"]["school_ids"] == [schools["54321"]["id"]]
