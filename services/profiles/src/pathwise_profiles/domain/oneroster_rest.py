"""Our roster in the OneRoster 1.2 REST/JSON binding: the collections we serve, the fields each
filters, sorts and selects on, and the records as the binding shapes them. Pure: rows in (the
repository's views, ``repository/oneroster.py``), JSON-ready dicts out.

A record's ``sourcedId`` is the district's own (the ``sourced_id`` it was imported with) and our
id when it has none. References are the binding's GUIDRefs (``{"href", "sourcedId", "type"}``);
``href`` is the path of the record in this API. ``metadata["pathwise.id"]`` carries our id, the
one our ``/v1`` API names the record by (for a student, the ``learner_id``).
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from pathwise_profiles.domain.oneroster_query import FieldType
from pathwise_shared.access import ONEROSTER_BASE
from pathwise_shared.timeutil import as_utc

# A database row as the repository's views give it (SQLAlchemy's RowMapping is one).
Row = Mapping[Any, Any]

__all__ = [
    "COLLECTIONS",
    "ROLE_IN",
    "ROLE_OUT",
    "Collection",
    "Ref",
    "UserLinks",
    "academic_session",
    "course",
    "enrollment",
    "klass",
    "org",
    "ref",
    "sourced_id",
    "user",
]

# Ours → OneRoster 1.2 (``administrator`` of 1.1 is ``siteAdministrator`` in 1.2).
ROLE_OUT = {
    "student": "student",
    "teacher": "teacher",
    "guardian": "guardian",
    "school_admin": "siteAdministrator",
    "district_admin": "districtAdministrator",
}
# OneRoster → ours, for ``role='…'`` filters: the import's reading of the same names.
ROLE_IN = {
    "student": "student",
    "teacher": "teacher",
    "guardian": "guardian",
    "parent": "guardian",
    "relative": "guardian",
    "administrator": "school_admin",
    "siteAdministrator": "school_admin",
    "principal": "school_admin",
    "districtAdministrator": "district_admin",
}
# A user's roles in this order: the first is the primary one.
_ROLE_ORDER = ("student", "teacher", "school_admin", "district_admin", "guardian")
_AT_SCHOOL = frozenset({"student", "teacher", "school_admin"})

_COMMON: dict[str, FieldType] = {
    "sourcedId": "id",
    "status": "string",
    "dateLastModified": "datetime",
}


@dataclass(frozen=True)
class Collection:
    """One collection of the binding: its envelope names, what it filters and sorts on (by
    field type) and what ``fields`` may select, in the order records show them."""

    plural: str
    singular: str
    filterable: Mapping[str, FieldType]
    selectable: tuple[str, ...]


_BASE_FIELDS = ("sourcedId", "status", "dateLastModified", "metadata")

COLLECTIONS: Mapping[str, Collection] = {
    "orgs": Collection(
        "orgs",
        "org",
        _COMMON | {"name": "string", "type": "string", "identifier": "string",
                   "parent.sourcedId": "id"},
        (*_BASE_FIELDS, "name", "type", "identifier", "parent", "children"),
    ),
    "academicSessions": Collection(
        "academicSessions",
        "academicSession",
        _COMMON | {"title": "string", "type": "string", "startDate": "date", "endDate": "date",
                   "schoolYear": "year", "parent.sourcedId": "id"},
        (*_BASE_FIELDS, "title", "type", "startDate", "endDate", "parent", "schoolYear", "org"),
    ),
    "courses": Collection(
        "courses",
        "course",
        _COMMON | {"title": "string", "courseCode": "string", "org.sourcedId": "id"},
        (*_BASE_FIELDS, "title", "courseCode", "grades", "org"),
    ),
    "classes": Collection(
        "classes",
        "class",
        _COMMON | {"title": "string", "classCode": "string", "school.sourcedId": "id",
                   "course.sourcedId": "id", "terms.sourcedId": "id"},
        (*_BASE_FIELDS, "title", "classCode", "classType", "grades", "course", "school", "terms"),
    ),
    "users": Collection(
        "users",
        "user",
        _COMMON | {"username": "string", "givenName": "string", "familyName": "string",
                   "email": "string", "enabledUser": "boolean", "grades": "string",
                   "role": "role", "roles.role": "role"},
        (*_BASE_FIELDS, "username", "enabledUser", "givenName", "familyName", "roles",
         "primaryOrg", "email", "grades", "agents"),
    ),
    "enrollments": Collection(
        "enrollments",
        "enrollment",
        _COMMON | {"role": "string", "primary": "boolean", "beginDate": "date",
                   "endDate": "date", "user.sourcedId": "id", "class.sourcedId": "id",
                   "school.sourcedId": "id"},
        (*_BASE_FIELDS, "user", "class", "school", "role", "primary", "beginDate", "endDate"),
    ),
}  # fmt: skip

# Where each kind of record lives in this API (the ``href`` of a reference to it).
_HREF_COLLECTION = {
    "org": "orgs",
    "academicSession": "academicSessions",
    "course": "courses",
    "class": "classes",
    "user": "users",
}


@dataclass(frozen=True)
class Ref:
    """A record another one points at: our id and the district's sourcedId (if any)."""

    kind: str
    id: uuid.UUID
    sourced: str | None = None

    @property
    def sourced_id(self) -> str:
        return self.sourced or str(self.id)


def sourced_id(row: Row) -> str:
    value = row.get("sourced_id")
    return str(value) if value else str(row["id"])


def ref(target: Ref) -> dict[str, str]:
    sid = target.sourced_id
    return {
        "href": f"{ONEROSTER_BASE}/{_HREF_COLLECTION[target.kind]}/{quote(sid, safe='')}",
        "sourcedId": sid,
        "type": target.kind,
    }


def _ref_of(row: Row, key: str, kind: str) -> dict[str, str] | None:
    """The reference a row holds in ``<key>_id`` / ``<key>_sourced_id``, or None."""
    target = row.get(f"{key}_id")
    if target is None:
        return None
    return ref(Ref(kind, target, row.get(f"{key}_sourced_id")))


def _stamp(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _base(row: Row) -> dict[str, Any]:
    return {
        "sourcedId": sourced_id(row),
        "status": row["status"],
        "dateLastModified": _stamp(row["updated_at"]),
        "metadata": {"pathwise.id": str(row["id"])},
    }


def _without_none(record: dict[str, Any]) -> dict[str, Any]:
    # Optional fields with no value are left out, as the binding does.
    return {k: v for k, v in record.items() if v is not None}


def org(row: Row, children: Sequence[Ref] = ()) -> dict[str, Any]:
    return _without_none(
        _base(row)
        | {
            "name": row["name"],
            "type": row["type"],
            "identifier": row.get("identifier"),
            "parent": _ref_of(row, "parent", "org"),
            "children": [ref(c) for c in children] if children else None,
        }
    )


def academic_session(row: Row, district: Ref) -> dict[str, Any]:
    year = row.get("school_year")
    return _without_none(
        _base(row)
        | {
            "title": row["title"],
            "type": row["type"],
            "startDate": _day(row["start_date"]),
            "endDate": _day(row["end_date"]),
            "parent": _ref_of(row, "parent", "academicSession"),
            "schoolYear": str(year) if year is not None else None,
            # Our sessions are the district's (OneRoster 1.2 names the org they belong to).
            "org": ref(district),
        }
    )


def course(row: Row, district: Ref) -> dict[str, Any]:
    return _without_none(
        _base(row)
        | {
            "title": row["title"],
            "courseCode": row.get("course_code"),
            "grades": list(row.get("grades") or []),
            "org": _ref_of(row, "school", "org") or ref(district),
        }
    )


def klass(row: Row) -> dict[str, Any]:
    term = _ref_of(row, "session", "academicSession")
    return _without_none(
        _base(row)
        | {
            "title": row["title"],
            "classCode": row.get("class_code"),
            # We keep no class type; every class of ours is a scheduled one (not a homeroom).
            "classType": "scheduled",
            "grades": list(row.get("grades") or []),
            "course": _ref_of(row, "course", "course"),
            "school": _ref_of(row, "school", "org"),
            "terms": [term] if term is not None else [],
        }
    )


@dataclass(frozen=True)
class UserLinks:
    """What a user record shows beyond its row: roles (ours), schools, linked users (a
    student's guardians, a guardian's children: OneRoster ``agents``)."""

    roles: Sequence[str] = ()
    schools: Sequence[Ref] = ()
    agents: Sequence[Ref] = field(default_factory=tuple)


def user(row: Row, links: UserLinks, district: Ref) -> dict[str, Any]:
    roles: list[dict[str, Any]] = []
    for role in sorted(set(links.roles), key=_ROLE_ORDER.index):
        orgs = links.schools if role in _AT_SCHOOL and links.schools else [district]
        for target in orgs:
            roles.append(
                {
                    "roleType": "primary" if not roles else "secondary",
                    "role": ROLE_OUT[role],
                    "org": ref(target),
                }
            )
    primary = links.schools[0] if links.schools else district
    return _without_none(
        _base(row)
        | {
            "username": row["username"],
            "enabledUser": bool(row["enabled"]),
            "givenName": row["given_name"],
            "familyName": row["family_name"],
            "roles": roles,
            "primaryOrg": ref(primary),
            "email": row.get("email"),
            "grades": [row["grade"]] if row.get("grade") else [],
            "agents": [ref(a) for a in links.agents],
        }
    )


def enrollment(row: Row) -> dict[str, Any]:
    return _without_none(
        _base(row)
        | {
            "user": _ref_of(row, "user", "user"),
            "class": _ref_of(row, "class", "class"),
            "school": _ref_of(row, "school", "org"),
            "role": row["role"],
            "primary": bool(row["is_primary"]),
            "beginDate": _day(row.get("begin_date")),
            "endDate": _day(row.get("end_date")),
        }
    )
