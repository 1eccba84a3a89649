"""Reading a OneRoster CSV file set: the manifest, the files, and their messy values.

Pure functions over text streams; where the files come from (a zip, a folder, a webhook) is the
service layer's business. Real exports are messy, so: unknown columns (``metadata.*``, ``ext_*``
or anything else) are ignored and listed, booleans come as ``true``/``TRUE``/``1``, empty
optional fields are normal, a UTF-8 byte-order mark is dropped.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

__all__ = [
    "FILES",
    "REQUIRED_COLUMNS",
    "FileMode",
    "Manifest",
    "ManifestError",
    "RawRow",
    "RowError",
    "parse_bool",
    "parse_date",
    "parse_list",
    "parse_manifest",
    "read_rows",
]

FileMode = Literal["bulk", "delta", "absent"]

# The files we read, in the order their records depend on each other. ``roles`` is OneRoster
# 1.2's home of user roles; older-style exports keep ``role``/``orgSourcedIds`` in users.csv.
FILES = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "roles",
    "enrollments",
    "demographics",
)

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type", "startDate", "endDate"),
    "courses": ("sourcedId", "title"),
    "classes": ("sourcedId", "title", "schoolSourcedId"),
    "users": ("sourcedId", "username", "givenName", "familyName"),
    "roles": ("userSourcedId", "role", "orgSourcedId"),
    "enrollments": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    "demographics": (),
}
# Columns of which a file needs one: demographics.csv is keyed by ``userSourcedId`` in OneRoster
# 1.0 and by ``sourcedId`` (the user's) in 1.1 and 1.2; exports of either kind are sent as 1.2.
REQUIRED_ONE_OF: dict[str, tuple[str, ...]] = {"demographics": ("sourcedId", "userSourcedId")}

# Columns we know (and either use or deliberately skip, such as passwords); anything else is
# reported as ignored.
KNOWN_COLUMNS: dict[str, frozenset[str]] = {
    "orgs": frozenset(
        {"sourcedId", "status", "dateLastModified", "name", "type", "identifier",
         "parentSourcedId"}
    ),
    "academicSessions": frozenset(
        {"sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
         "parentSourcedId", "schoolYear"}
    ),
    "courses": frozenset(
        {"sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
         "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"}
    ),
    "classes": frozenset(
        {"sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
         "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
         "subjectCodes", "periods"}
    ),
    "users": frozenset(
        {"sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
         "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
         "sms", "phone", "agentSourcedIds", "grades", "password", "userMasterIdentifier",
         "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
         "preferredFamilyName", "primaryOrgSourcedId", "pronouns"}
    ),
    "roles": frozenset(
        {"sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
         "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"}
    ),
    "enrollments": frozenset(
        {"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
         "userSourcedId", "role", "primary", "beginDate", "endDate"}
    ),
    "demographics": frozenset(),
}  # fmt: skip

SUPPORTED_VERSION = "1.2"
# 1.1 files carry the same columns we read (users.role, users.orgSourcedIds), so they map as is.
MAPPED_VERSIONS = frozenset({"1.1"})
_BOOLEANS = {
    **dict.fromkeys(("true", "1", "yes", "y", "t"), True),
    **dict.fromkeys(("false", "0", "no", "n", "f"), False),
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ManifestError(ValueError):
    """The file set cannot be imported as a whole; the message says what to send instead."""


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row: its file, its line in that file (the header is line 1), its known values."""

    file: str
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Manifest:
    version: str
    modes: dict[str, FileMode]
    mapped_from: str | None = None
    notes: list[str] = field(default_factory=list)

    def present(self) -> list[str]:
        return [name for name in FILES if self.modes.get(name, "absent") != "absent"]


def parse_manifest(lines: Iterable[str]) -> Manifest:
    """``manifest.csv`` (propertyName,value) → the version and each file's mode."""
    reader = csv.reader(_strip_bom(lines))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:2]] != ["propertyName", "value"]:
        raise ManifestError(
            "manifest.csv must start with the header 'propertyName,value' (OneRoster 1.2 CSV)."
        )
    props: dict[str, str] = {}
    for row in reader:
        if len(row) >= 2 and row[0].strip():
            props[row[0].strip()] = row[1].strip()
    version = props.get("oneroster.version", "")
    mapped_from: str | None = None
    if version in MAPPED_VERSIONS:
        mapped_from = version
    elif version != SUPPORTED_VERSION:
        shown = version or "missing"
        raise ManifestError(
            f"manifest.csv: oneroster.version is {shown}; this service reads OneRoster 1.2 CSV "
            "(1.1 is mapped). Send a OneRoster 1.2 CSV export with 'oneroster.version,1.2' "
            "in manifest.csv."
        )
    modes: dict[str, FileMode] = {}
    for name in FILES:
        raw = props.get(f"file.{name}", "absent").strip().lower() or "absent"
        if raw not in ("bulk", "delta", "absent"):
            raise ManifestError(f"manifest.csv: file.{name} is {raw!r}; use bulk, delta or absent.")
        modes[name] = raw  # type: ignore[assignment]  # checked against the literal just above
    # An empty value means absent, as it does for the files we read (real exports leave the
    # files they never send blank): only a file actually sent is worth a note.
    notes = [
        f"file.{key[5:]} is not read by this service"
        for key, value in props.items()
        if key.startswith("file.") and key[5:] not in FILES and value.lower() not in ("", "absent")
    ]
    if not any(mode != "absent" for mode in modes.values()):
        raise ManifestError("manifest.csv names no file to import (every file.* is absent).")
    return Manifest(version=version, modes=modes, mapped_from=mapped_from, notes=notes)


def _strip_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


@dataclass
class FileRead:
    rows: list[RawRow]
    ignored_columns: list[str]


def read_rows(name: str, lines: Iterable[str]) -> FileRead:
    """Every row of one OneRoster file with its line number; missing required columns raise."""
    reader = csv.reader(_strip_bom(lines))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in header]
    if missing:
        raise ManifestError(f"{name}.csv: missing column(s) {', '.join(missing)}.")
    one_of = REQUIRED_ONE_OF.get(name, ())
    if one_of and not any(c in header for c in one_of):
        raise ManifestError(f"{name}.csv: needs one of the columns {' or '.join(one_of)}.")
    known = KNOWN_COLUMNS[name]
    ignored = [h for h in header if h and h not in known]
    keep = [(i, h) for i, h in enumerate(header) if h in known]
    rows: list[RawRow] = []
    line = reader.line_num
    for record in reader:
        start = line + 1
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines are common at the end of hand-edited files
        values = {h: record[i].strip() for i, h in keep if i < len(record) and record[i].strip()}
        rows.append(RawRow(name, start, values))
    return FileRead(rows, ignored)


def parse_bool(value: str, *, default: bool) -> bool:
    """``true``/``TRUE``/``1``/``yes`` and their opposites; empty means ``default``."""
    if not value:
        return default
    found = _BOOLEANS.get(value.strip().lower())
    if found is not None:
        return found
    if not value.strip():
        return default
    raise ValueError(f"{value!r} is not a boolean (true or false)")


def parse_date(value: str) -> date | None:
    """An ISO date (``2026-09-01``); a datetime's date part is accepted; empty is None."""
    text = value.strip()
    if not text:
        return None
    text = text[:10] if len(text) > 10 and text[10] in "T " else text
    if not _DATE.match(text):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    return date.fromisoformat(text)


def parse_list(value: str) -> list[str]:
    """OneRoster lists are comma-separated inside one (quoted) field."""
    return [part.strip() for part in value.split(",") if part.strip()]
