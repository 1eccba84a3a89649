"""OneRoster rows → our roster records, one row at a time, with errors naming file, line, field.

A record carries its values in our column names, and its references still as OneRoster
``sourcedId``s: resolving them against the district and the rest of the file set is the plan's
job (``roster_planner``). The same functions read CSV rows and the webhook's JSON records (after
``flatten_json``), so both paths accept and refuse exactly the same things.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pathwise_profiles.domain.oneroster_csv import (
    RawRow,
    RowError,
    parse_bool,
    parse_date,
    parse_list,
)

__all__ = [
    "KINDS",
    "ROLE_MAP",
    "OtherOrg",
    "Record",
    "RoleGrant",
    "RowProblems",
    "flatten_json",
    "other_org",
    "read_record",
    "read_role_grant",
]

# Our record kinds, in dependency order (a kind refers only to kinds before it).
KINDS = ("schools", "sessions", "courses", "classes", "users", "enrollments")

# OneRoster user roles → ours. Roles with no Pathwise equivalent (aide, proctor,
# systemAdministrator) are refused by name rather than silently widened to a teacher.
ROLE_MAP = {
    "student": "student",
    "teacher": "teacher",
    "guardian": "guardian",
    "parent": "guardian",
    "relative": "guardian",
    "relativeOfStudent": "guardian",
    "administrator": "school_admin",
    "siteAdministrator": "school_admin",
    "principal": "school_admin",
    "districtAdministrator": "district_admin",
}
ENROLLMENT_ROLES = frozenset({"student", "teacher"})
SESSION_TYPES = frozenset({"schoolYear", "term", "semester", "gradingPeriod"})
_GRADE = re.compile(r"^[A-Za-z0-9]{1,10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NO_SPACE = re.compile(r"^\S+$")


class RowProblems(Exception):  # a carrier of row errors, not a failure of ours
    def __init__(self, errors: list[RowError], sourced_id: str | None) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors
        self.sourced_id = sourced_id


@dataclass(slots=True)
class Record:
    kind: str
    sourced_id: str
    status: str
    values: dict[str, Any]
    refs: dict[str, str | None] = field(default_factory=dict)
    # users only: roles (ours) and the orgs (sourcedIds) they belong to
    roles: set[str] = field(default_factory=set)
    org_refs: list[str] = field(default_factory=list)
    # users only: OneRoster agents (a student's guardians, a guardian's children), and the
    # relationship type a guardian's own role names (parent, guardian, relative)
    agent_refs: list[str] = field(default_factory=list)
    relationship: str = "guardian"
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A roles.csv row (OneRoster 1.2): a role of a user at an org, from ``begin`` to ``end``
    (both inclusive, either open)."""

    user_sourced_id: str
    role: str
    org_sourced_id: str
    status: str
    file: str
    line: int
    begin: date | None = None
    end: date | None = None


@dataclass(frozen=True, slots=True)
class OtherOrg:
    """An orgs.csv row that is not a school (district, department, local, state, national):
    not stored, but a class or user naming it belongs to the school above it, if any. A
    department with no school above it at all stands in for its school (the plan decides), so
    its name, identifier, status and line are kept too."""

    sourced_id: str
    type: str
    parent: str | None
    name: str | None = None
    identifier: str | None = None
    status: str = "active"
    line: int = 0


class _Reader:
    """Collects every problem of one row instead of stopping at the first."""

    def __init__(self, row: RawRow) -> None:
        self.row = row
        self.errors: list[RowError] = []

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.row.file, self.row.line, column, message))

    def text(self, column: str, *, required: bool = False, max_length: int = 255) -> str | None:
        value = self.row.get(column)
        if not value:
            if required:
                self.fail(column, "is required")
            return None
        if len(value) > max_length:
            self.fail(column, f"is longer than {max_length} characters")
            return None
        return value

    def matching(self, column: str, pattern: re.Pattern[str], what: str, **kw: Any) -> str | None:
        value = self.text(column, **kw)
        if value is not None and not pattern.match(value):
            self.fail(column, f"{value!r} is not {what}")
            return None
        return value

    def convert(self, column: str, parse: Callable[[str], Any]) -> Any:
        try:
            return parse(self.row.get(column))
        except ValueError as exc:
            self.fail(column, str(exc))
            return None

    def grades(self, column: str) -> list[str]:
        grades = parse_list(self.row.get(column))
        bad = [g for g in grades if not _GRADE.match(g)]
        if bad:
            self.fail(column, f"not grade codes: {', '.join(bad)}")
            return []
        if len(grades) > 20:
            self.fail(column, "more than 20 grades")
            return []
        return grades

    def status(self) -> str:
        value = self.row.get("status").lower()
        if value in ("", "active"):
            return "active"
        if value in ("tobedeleted", "inactive"):
            return "tobedeleted"
        self.fail("status", f"{self.row.get('status')!r} is not active or tobedeleted")
        return "active"


def _orgs(r: _Reader) -> tuple[str, dict[str, Any], dict[str, str | None]] | None:
    kind = r.row.get("type")
    if kind != "school":
        return None  # districts, departments, states: not stored (reported as skipped)
    values = {
        "name": r.text("name", required=True),
        "identifier": r.text("identifier", max_length=100),
    }
    return "schools", values, {}


def _sessions(r: _Reader) -> tuple[str, dict[str, Any], dict[str, str | None]]:
    kind = r.row.get("type")
    if kind not in SESSION_TYPES:
        r.fail("type", f"{kind!r} is not one of {', '.join(sorted(SESSION_TYPES))}")
    start = r.convert("startDate", parse_date)
    end = r.convert("endDate", parse_date)
    if start is None and not r.row.get("startDate"):
        r.fail("startDate", "is required")
    if end is None and not r.row.get("endDate"):
        r.fail("endDate", "is required")
    if start is not None and end is not None and end < start:
        r.fail("endDate", "is before startDate")
    year: int | None = None
    raw_year = r.row.get("schoolYear")
    if raw_year:
        if raw_year.isdigit() and 1900 <= int(raw_year) <= 2200:
            year = int(raw_year)
        else:
            r.fail("schoolYear", f"{raw_year!r} is not a year")
    values = {
        "title": r.text("title", required=True),
        "type": kind,
        "start_date": start,
        "end_date": end,
        "school_year": year,
    }
    return "sessions", values, {"parent_id": r.row.get("parentSourcedId") or None}


def _courses(r: _Reader) -> tuple[str, dict[str, Any], dict[str, str | None]]:
    values = {
        "title": r.text("title", required=True),
        "course_code": r.text("courseCode", max_length=100),
        "grades": r.grades("grades"),
    }
    # orgSourcedId is often the district org: it resolves to a school or to nothing.
    return "courses", values, {"school_id?": r.row.get("orgSourcedId") or None}


def _classes(r: _Reader) -> tuple[str, dict[str, Any], dict[str, str | None]]:
    grades = r.grades("grades")
    values = {
        "title": r.text("title", required=True),
        "class_code": r.text("classCode", max_length=100),
        "grades": grades,
        "grade": sorted(grades)[0] if grades else None,
    }
    terms = parse_list(r.row.get("termSourcedIds"))
    refs = {
        "school_id": r.text("schoolSourcedId", required=True),
        "course_id": r.row.get("courseSourcedId") or None,
        "session_id": terms[0] if terms else None,
    }
    return "classes", values, refs


def _users(r: _Reader) -> tuple[str, dict[str, Any], dict[str, str | None]]:
    grades = r.grades("grades")
    values = {
        "username": r.matching("username", _NO_SPACE, "a username without spaces", required=True),
        "given_name": r.text("givenName", required=True),
        "family_name": r.text("familyName", required=True),
        "email": r.matching("email", _EMAIL, "an email address", max_length=320),
        "grade": grades[0] if grades else None,
        "enabled": r.convert("enabledUser", lambda v: parse_bool(v, default=True)),
    }
    return "users", values, {}


def _enrollments(r: _Reader) -> tuple[str, dict[str, Any], dict[str, str | None]]:
    role = r.row.get("role")
    if role not in ENROLLMENT_ROLES:
        r.fail("role", f"{role!r} is not an enrollment role here (student or teacher)")
    begin = r.convert("beginDate", parse_date)
    end = r.convert("endDate", parse_date)
    if begin is not None and end is not None and end < begin:
        r.fail("endDate", "is before beginDate")
    values = {
        "role": role,
        "is_primary": r.convert("primary", lambda v: parse_bool(v, default=False)),
        "begin_date": begin,
        "end_date": end,
    }
    refs = {
        "class_id": r.text("classSourcedId", required=True),
        "user_id": r.text("userSourcedId", required=True),
    }
    return "enrollments", values, refs


_MAPPERS: dict[
    str, Callable[[_Reader], tuple[str, dict[str, Any], dict[str, str | None]] | None]
] = {
    "orgs": _orgs,
    "academicSessions": _sessions,
    "courses": _courses,
    "classes": _classes,
    "users": _users,
    "enrollments": _enrollments,
}


def _user_roles(r: _Reader) -> set[str]:
    roles: set[str] = set()
    for name in parse_list(r.row.get("role")):
        mapped = ROLE_MAP.get(name)
        if mapped is None:
            r.fail("role", f"{name!r} has no Pathwise equivalent ({', '.join(ROLE_MAP)})")
        else:
            roles.add(mapped)
    return roles


_RELATIONSHIPS = {
    "parent": "parent",
    "guardian": "guardian",
    "relative": "relative",
    "relativeOfStudent": "relative",
}


def _relationship(names: list[str]) -> str:
    return next((_RELATIONSHIPS[n] for n in names if n in _RELATIONSHIPS), "guardian")


def read_record(row: RawRow) -> Record | None:
    """The record of one row; None for rows we deliberately skip (non-school orgs: the caller
    keeps them, see ``other_org``)."""
    r = _Reader(row)
    sourced_id = r.text("sourcedId", required=True)
    status = r.status()
    mapped = _MAPPERS[row.file](r)
    if mapped is None:
        return None
    kind, values, refs = mapped
    record = Record(kind, sourced_id or "", status, values, refs, file=row.file, line=row.line)
    if kind == "users":
        record.roles = _user_roles(r)
        record.org_refs = parse_list(row.get("orgSourcedIds"))
        record.agent_refs = parse_list(row.get("agentSourcedIds"))
        record.relationship = _relationship(parse_list(row.get("role")))
    if status == "tobedeleted":
        # Delta deletes often carry little more than the id: only the id must be usable.
        r.errors = [e for e in r.errors if e.field in ("sourcedId", "status")]
    if r.errors:
        raise RowProblems(r.errors, sourced_id)
    return record


def other_org(row: RawRow) -> OtherOrg | None:
    """An orgs.csv row that is not a school (a district, a department), with its parent."""
    if row.file == "orgs" and row.get("type") != "school" and row.get("sourcedId"):
        status = row.get("status").lower()
        return OtherOrg(
            row.get("sourcedId"),
            row.get("type"),
            row.get("parentSourcedId") or None,
            name=row.get("name") or None,
            identifier=row.get("identifier") or None,
            status="tobedeleted" if status in ("tobedeleted", "inactive") else "active",
            line=row.line,
        )
    return None


def read_role_grant(row: RawRow) -> RoleGrant:
    r = _Reader(row)
    user = r.text("userSourcedId", required=True) or ""
    org = r.text("orgSourcedId", required=True) or ""
    name = row.get("role")
    mapped = ROLE_MAP.get(name)
    if mapped is None:
        r.fail("role", f"{name!r} has no Pathwise equivalent ({', '.join(ROLE_MAP)})")
    status = r.status()
    begin = r.convert("beginDate", parse_date)
    end = r.convert("endDate", parse_date)
    if begin is not None and end is not None and end < begin:
        r.fail("endDate", "is before beginDate")
    if r.errors:
        raise RowProblems(r.errors, None)
    return RoleGrant(user, mapped or "", org, status, row.file, row.line, begin, end)


# The webhook's JSON records (OneRoster REST shapes) → the CSV row shape read above.
_JSON_FILE = {"users": "users", "classes": "classes", "enrollments": "enrollments"}


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("sourcedId", ""))
    return "" if value is None else str(value)


def flatten_json(kind: str, index: int, record: Any) -> RawRow:
    """A REST-shaped record (``{"school": {"sourcedId": …}}``, lists as JSON arrays) as a row.

    ``line`` is the record's 1-based position in its list, so errors can name it.
    """
    file = _JSON_FILE[kind]
    values: dict[str, str] = {}
    if not isinstance(record, dict):
        return RawRow(file, index + 1, values)
    for key, value in record.items():
        if key in ("school", "course", "class", "user", "parent", "org"):
            values[f"{key}SourcedId"] = _ref(value)
        elif key in ("terms", "orgs", "agents"):
            singular = {"terms": "term", "orgs": "org", "agents": "agent"}[key]
            items = value if isinstance(value, list) else [value]
            values[f"{singular}SourcedIds"] = ",".join(_ref(v) for v in items)
        elif key == "roles" and isinstance(value, list):
            values["role"] = ",".join(str(v.get("role", "")) for v in value if isinstance(v, dict))
            orgs = [_ref(v.get("org")) for v in value if isinstance(v, dict) and v.get("org")]
            if orgs:
                values["orgSourcedIds"] = ",".join(orgs)
        elif isinstance(value, list):
            values[key] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            values[key] = "true" if value else "false"
        elif value is not None and not isinstance(value, dict):
            values[key] = str(value).strip()
    return RawRow(file, index + 1, values)
