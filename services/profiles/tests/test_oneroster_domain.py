"""The pure parts of the OneRoster import: values, manifests, rows, records, the plan."""

import itertools
import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from pathwise_profiles.domain.oneroster_csv import (
    FileMode,
    ManifestError,
    parse_bool,
    parse_date,
    parse_list,
    parse_manifest,
    read_rows,
)
from pathwise_profiles.domain.roster_guard import GuardLimits, check_guard
from pathwise_profiles.domain.roster_plan import Existing, Snapshot
from pathwise_profiles.domain.roster_planner import make_plan
from pathwise_profiles.domain.roster_records import (
    OtherOrg,
    Record,
    RowProblems,
    flatten_json,
    read_record,
)
from pathwise_profiles.oneroster_samples import manifest


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("False", False), ("", None), (" no ", False)],
)
def test_booleans_as_sis_send_them(text: str, expected: bool | None) -> None:
    assert parse_bool(text, default=None) is expected  # type: ignore[arg-type]


def test_bad_boolean_and_dates() -> None:
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool("sometimes", default=True)
    assert parse_date("2026-09-01") == date(2026, 9, 1)
    assert parse_date("2026-09-01T08:00:00Z") == date(2026, 9, 1)
    assert parse_date("") is None
    for bad in ("09/01/2026", "2026-13-01", "soon"):
        with pytest.raises(ValueError, match=r"date|month"):
            parse_date(bad)
    assert parse_list(" 03, 04 ,,") == ["03", "04"]


def test_manifest_versions_and_modes() -> None:
    parsed = parse_manifest(manifest(users="bulk", enrollments="DELTA").splitlines())
    assert parsed.modes["users"] == "bulk" and parsed.modes["enrollments"] == "delta"
    assert parsed.modes["orgs"] == "absent" and parsed.mapped_from is None
    assert parse_manifest(manifest("1.1", users="bulk").splitlines()).mapped_from == "1.1"
    with pytest.raises(ManifestError, match=r"oneroster.version is 1.0.*OneRoster 1.2"):
        parse_manifest(manifest("1.0", users="bulk").splitlines())
    with pytest.raises(ManifestError, match="bulk, delta or absent"):
        parse_manifest(manifest(users="sometimes").splitlines())
    with pytest.raises(ManifestError, match="names no file"):
        parse_manifest(manifest().splitlines())
    with pytest.raises(ManifestError, match="propertyName,value"):
        parse_manifest(["name,value", "oneroster.version,1.2"])


def test_a_blank_manifest_value_of_a_file_we_do_not_read_is_no_news() -> None:
    # The shape of a public Moodle plugin's 1.2 fixture: files never sent are left blank.
    text = manifest(users="bulk") + "file.scoreScales,\nfile.userProfiles,bulk\n"
    assert parse_manifest(text.splitlines()).notes == [
        "file.userProfiles is not read by this service"
    ]


def test_rows_keep_their_line_numbers_and_drop_unknown_columns() -> None:
    text = (
        "\ufeffsourcedId,title,schoolSourcedId,ext_colour,metadata.x\n"
        'k1,"Math,\nadvanced",s1,red,1\n'
        "\n"
        "k2,Art,s1,,\n"
    )
    read = read_rows("classes", text.splitlines(keepends=True))
    assert read.ignored_columns == ["ext_colour", "metadata.x"]
    assert [(r.line, r.values) for r in read.rows] == [
        (2, {"sourcedId": "k1", "title": "Math,\nadvanced", "schoolSourcedId": "s1"}),
        (5, {"sourcedId": "k2", "title": "Art", "schoolSourcedId": "s1"}),
    ]
    with pytest.raises(ManifestError, match=r"classes.csv: missing column\(s\) schoolSourcedId"):
        read_rows("classes", ["sourcedId,title\n"])


def test_a_row_reports_every_problem_at_once() -> None:
    (row,) = read_rows(
        "users",
        ["sourcedId,username,givenName,familyName,email,grades,enabledUser,role\n",
         "u1,has space,,Lee,nope,5th grade,maybe,aide\n"],
    ).rows  # fmt: skip
    with pytest.raises(RowProblems) as caught:
        read_record(row)
    assert {(e.line, e.field) for e in caught.value.errors} == {
        (2, "username"), (2, "givenName"), (2, "email"), (2, "grades"), (2, "enabledUser"),
        (2, "role"),
    }  # fmt: skip
    assert caught.value.sourced_id == "u1"


def test_json_records_read_like_csv_rows() -> None:
    row = flatten_json(
        "classes",
        0,
        {"sourcedId": "k1", "title": "Math", "school": {"sourcedId": "s1"},
         "terms": [{"sourcedId": "t1"}], "grades": ["04", "05"], "unknown": {"x": 1}},
    )  # fmt: skip
    record = read_record(row)
    assert record is not None
    assert record.refs == {"school_id": "s1", "course_id": None, "session_id": "t1"}
    assert record.values["grades"] == ["04", "05"] and record.values["grade"] == "04"
    user = read_record(
        flatten_json(
            "users", 3,
            {"sourcedId": "u1", "username": "u", "givenName": "A", "familyName": "B",
             "enabledUser": True, "roles": [{"role": "parent", "org": {"sourcedId": "s1"}}]},
        )
    )  # fmt: skip
    assert user is not None and user.roles == {"guardian"} and user.org_refs == ["s1"]


def _ids() -> Iterator[int]:
    return itertools.count(1)


def _school(sid: str, name: str, status: str = "active") -> Record:
    return Record("schools", sid, status, {"name": name, "identifier": None}, file="orgs", line=2)


def test_plan_is_empty_when_nothing_changed_and_guard_weighs_changes() -> None:
    counter = _ids()

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=next(counter))

    empty = Snapshot({}, 0, {}, set())
    records = {"schools": [_school("s1", "North"), _school("s2", "South")]}
    first = make_plan(records, {"orgs": "bulk"}, empty, new_id=new_id)
    assert [w.sourced_id for w in first.kinds["schools"].creates] == ["s1", "s2"]
    assert check_guard(first, empty, GuardLimits(min_rows=1)).tripped == []
    stored = Snapshot(
        {"schools": {w.sourced_id: Existing(w.id, "active", dict(w.values))
                     for w in first.kinds["schools"].creates}},
        2, {}, set(),
    )  # fmt: skip
    again = make_plan(records, {"orgs": "bulk"}, stored, new_id=new_id)
    assert again.writes == 0 and again.kinds["schools"].unchanged == 2
    renamed = make_plan({"schools": [_school("s1", "Northern")]}, {"orgs": "bulk"}, stored,
                        new_id=new_id)  # fmt: skip
    plan = renamed.kinds["schools"]
    assert [(w.sourced_id, w.changed) for w in plan.updates] == [("s1", ("name",))]
    assert [w.sourced_id for w in plan.deletes] == ["s2"]
    verdict = check_guard(renamed, stored, GuardLimits(min_rows=1))
    assert verdict.share("schools") == 1.0 and verdict.tripped == ["schools"]
    delta = make_plan({"schools": [_school("s2", "South", "tobedeleted")]}, {"orgs": "delta"},
                      stored, new_id=new_id)  # fmt: skip
    assert [w.sourced_id for w in delta.kinds["schools"].deletes] == ["s2"]
    assert delta.kinds["schools"].updates == []


def test_bulk_file_does_not_delete_rows_it_failed_to_read() -> None:
    stored = Snapshot(
        {"schools": {"s1": Existing(uuid.UUID(int=1), "active", {"name": "N", "identifier": None})}},
        1, {}, set(),
    )  # fmt: skip
    plan = make_plan({"schools": []}, {"orgs": "bulk"}, stored, failed={"schools": {"s1"}},
                     new_id=uuid.uuid4)  # fmt: skip
    assert plan.kinds["schools"].deletes == []


def test_an_org_chain_is_walked_up_to_its_school_and_a_cycle_stops() -> None:
    school = Existing(uuid.UUID(int=1), "active", {"name": "N", "identifier": None})
    stored = Snapshot({"schools": {"s1": school}}, 1, {}, set())
    orgs = {
        "dep": OtherOrg("dep", "department", "s1"),
        "sub": OtherOrg("sub", "department", "dep"),
        "a": OtherOrg("a", "department", "b"),
        "b": OtherOrg("b", "local", "a"),
    }

    def klass(sid: str, org: str) -> Record:
        values: dict[str, object] = {"title": sid, "class_code": None, "grades": [], "grade": None}
        refs: dict[str, str | None] = {"school_id": org, "course_id": None, "session_id": None}
        return Record("classes", sid, "active", values, refs, file="classes", line=2)

    plan = make_plan(
        {"classes": [klass("k-sub", "sub"), klass("k-loop", "a")]},
        {"classes": "bulk", "orgs": "delta"},
        stored,
        other_orgs=orgs,
        new_id=uuid.uuid4,
    )
    assert [w.values["school_id"] for w in plan.kinds["classes"].creates] == [school.id]
    assert [e.message for e in plan.errors] == [
        "org 'a' (department) → 'b' (local) is not a school and has no school above it; name "
        "the school (or a department of it)"
    ]


def _class(sid: str, org: str, course: str | None = None, term: str | None = None) -> Record:
    values: dict[str, object] = {"title": sid, "class_code": None, "grades": [], "grade": None}
    refs: dict[str, str | None] = {"school_id": org, "course_id": course, "session_id": term}
    return Record("classes", sid, "active", values, refs, file="classes", line=2)


def _dept(sid: str, parent: str | None, line: int = 2) -> OtherOrg:
    return OtherOrg(sid, "department", parent, name=f"{sid} name", identifier="D", line=line)


def test_a_department_with_no_school_above_it_stands_in_for_its_school() -> None:
    empty = Snapshot({}, 0, {}, set())
    orgs = {
        "top": _dept("top", "missing-school", line=2),  # its school is not in the file set
        "sub": _dept("sub", "top", line=3),
        "alone": _dept("alone", None, line=4),  # no parent at all
        "unnamed": _dept("unnamed", None, line=5),  # named by nothing: stays an org
        "office": _dept("office", "d1", line=6),  # under the district: an office
        "d1": OtherOrg("d1", "district", None, name="D1", line=7),
    }
    records = {"classes": [_class("k-sub", "sub"), _class("k-alone", "alone"),
                           _class("k-office", "office")]}  # fmt: skip
    modes: dict[str, FileMode] = {"orgs": "bulk", "classes": "bulk"}
    plan = make_plan(records, modes, empty, other_orgs=orgs, skipped=6, new_id=uuid.uuid4)
    schools = {w.sourced_id: w for w in plan.kinds["schools"].creates}
    assert set(schools) == {"top", "alone"}
    assert schools["top"].values == {"name": "top name", "identifier": "D"}
    classes = {w.sourced_id: w.values["school_id"] for w in plan.kinds["classes"].creates}
    assert classes == {"k-sub": schools["top"].id, "k-alone": schools["alone"].id}
    assert [(e.line, e.message) for e in plan.warnings] == [
        (2, "department 'top' has no school above it (its parent 'missing-school' is in neither "
            "this file set nor your district); it is kept as a school so the classes and users "
            "naming it have one"),
        (4, "department 'alone' has no school above it (it has no parentSourcedId); it is kept "
            "as a school so the classes and users naming it have one"),
    ]  # fmt: skip
    assert [e.message for e in plan.errors] == [
        "org 'office' (department) → 'd1' (district) is not a school and has no school above "
        "it; name the school (or a department of it)"
    ]
    assert plan.skipped == 4  # the two stand-ins are stored after all
    # The same file set again: the stand-ins are unchanged, not deleted by the bulk file.
    stored = Snapshot(
        {"schools": {sid: Existing(w.id, "active", dict(w.values)) for sid, w in schools.items()},
         "classes": {w.sourced_id: Existing(w.id, "active", dict(w.values))
                     for w in plan.kinds["classes"].creates}},
        4, {}, set(),
    )  # fmt: skip
    again = make_plan(records, modes, stored, other_orgs=orgs, new_id=uuid.uuid4)
    assert again.kinds["schools"].unchanged == 2 and again.kinds["schools"].deletes == []
    assert again.kinds["classes"].unchanged == 2
    # Once the school is sent with the department under it, the department is an org again.
    with_school = {"schools": [_school("missing-school", "Real")], **records}
    moved = make_plan(with_school, modes, stored, other_orgs=orgs, new_id=uuid.uuid4)
    assert [w.sourced_id for w in moved.kinds["schools"].deletes] == ["top"]
    assert [w.sourced_id for w in moved.kinds["classes"].updates] == ["k-sub"]


def _session(sid: str, parent: str | None, status: str = "active", line: int = 2) -> Record:
    values: dict[str, object] = {"title": sid, "type": "term", "start_date": None,
                                 "end_date": None, "school_year": None}  # fmt: skip
    return Record("sessions", sid, status, values, {"parent_id": parent},
                  file="academicSessions", line=line)  # fmt: skip


def test_a_session_whose_parent_is_nowhere_is_kept_without_one() -> None:
    empty = Snapshot({}, 0, {}, set())
    records = {"sessions": [_session("t1", "y-none", line=2), _session("t2", "y-old", line=3),
                            _session("y-old", None, "tobedeleted", line=4)]}  # fmt: skip
    plan = make_plan(records, {"academicSessions": "bulk"}, empty, new_id=uuid.uuid4)
    created = {w.sourced_id: w.values["parent_id"] for w in plan.kinds["sessions"].creates}
    assert created == {"t1": None, "t2": None} and plan.errors == []
    assert [(e.line, e.field, e.message) for e in plan.warnings] == [
        (2, "parentSourcedId", "parent academic session 'y-none' is in neither this file set "
            "nor your district; the session is imported without a parent"),
        (3, "parentSourcedId", "parent academic session 'y-old' is marked tobedeleted "
            "(academicSessions.csv line 4); the session is imported without a parent"),
    ]  # fmt: skip


def test_an_unknown_course_is_an_error_only_when_courses_are_sent() -> None:
    school = Existing(uuid.UUID(int=1), "active", {"name": "N", "identifier": None})
    stored = Snapshot({"schools": {"s1": school}}, 1, {}, set())
    records = {"classes": [_class("k1", "s1", course="c-x")]}
    without = make_plan(records, {"classes": "bulk"}, stored, new_id=uuid.uuid4)
    assert [w.values["course_id"] for w in without.kinds["classes"].creates] == [None]
    assert without.errors == []
    assert [e.message for e in without.warnings] == [
        "no course with sourcedId 'c-x' in your district, and this file set has no courses.csv; "
        "the class is kept without a course"
    ]
    sent = make_plan(records, {"classes": "bulk", "courses": "bulk"}, stored, new_id=uuid.uuid4)
    assert sent.kinds["classes"].creates == [] and sent.warnings == []
    assert [e.message for e in sent.errors] == [
        "no course with sourcedId 'c-x' in this file set or your district"
    ]


def test_an_enrollment_in_a_class_the_file_set_deletes_says_so() -> None:
    school = Existing(uuid.UUID(int=1), "active", {"name": "N", "identifier": None})
    stored_class = Existing(uuid.UUID(int=2), "active", {"school_id": school.id})
    student = Existing(uuid.UUID(int=3), "active", {}, frozenset({"student"}))
    stored = Snapshot(
        {"schools": {"s1": school}, "classes": {"k-old": stored_class},
         "users": {"u1": student}},
        3, {}, set(),
    )  # fmt: skip
    gone = Record("classes", "k-old", "tobedeleted", {}, {}, file="classes", line=3)
    enrollment = Record(
        "enrollments", "e1", "active",
        {"role": "student", "is_primary": False, "begin_date": None, "end_date": None},
        {"class_id": "k-old", "user_id": "u1"}, file="enrollments", line=5,
    )  # fmt: skip
    plan = make_plan(
        {"classes": [gone], "enrollments": [enrollment]},
        {"classes": "delta", "enrollments": "delta"},
        stored,
        new_id=uuid.uuid4,
    )
    assert [w.sourced_id for w in plan.kinds["classes"].deletes] == ["k-old"]
    assert plan.kinds["enrollments"].creates == []
    assert [(e.file, e.line, e.field, e.message) for e in plan.errors] == [
        ("enrollments", 5, "classSourcedId", "class 'k-old' is marked tobedeleted (classes.csv "
         "line 3); an active enrollment cannot refer to it"),
    ]  # fmt: skip
