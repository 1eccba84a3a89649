"""The learner data map: how every table of a service relates to a learner (docs/privacy.md).

Each service declares, in ``pathwise_<service>/learner_data.py``, one entry per table of its
metadata:

- ``LearnerTable(table, learner_columns=(...), mentions=(...), via=Via(...), files=(...))``: rows
  of the table hold a learner's data. ``learner_columns`` name the learner as the row's subject
  (``learner_id``, ``student_id``, a user row's ``id``, an event ``Subject("subject")``);
  ``mentions`` name them as the author or actor of a row that is about someone or something else
  (a comment's ``author``, a history row's ``actor``): exported, and what a deletion pseudonymizes
  rather than removes. ``via`` reaches the learner through a parent row (a message through its
  thread): the parent must be declared a ``LearnerTable`` too, and chains are followed. ``files``
  name the columns that hold a ``pathwise_shared.storage`` key of a file that belongs to the row.
- ``NoLearnerData(table, why=...)``: the table holds nothing about a learner (items, frameworks,
  districts); ``why`` says so for a reader and is required when a column looks like a person.

The map is data, so one generic piece of code exports (and, later, deletes) a learner's rows
in every service, and a test fails when a table is added without a declaration
(``tests/test_learner_data_map.py``). A column is matched by its type: a UUID column against the
learner's id, a string column (a principal's subject: a user's id as text) against its text.
"""

import base64
import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    MetaData,
    Select,
    String,
    Table,
    Text,
    Uuid,
    and_,
    cast,
    false,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.sqltypes import JSON

__all__ = [
    "PERSON_COLUMN",
    "Anywhere",
    "Erasure",
    "FileRef",
    "LearnerDataMap",
    "LearnerTable",
    "NoLearnerData",
    "Subject",
    "Via",
    "erase_learner",
    "erased_learner_id",
    "export_learner",
    "find_learner_file",
    "learner_condition",
    "looks_like_person",
]

# Column names that look like a reference to a person: a table with one that says it holds no
# learner data must say why (tests/test_learner_data_map.py).
PERSON_COLUMN = re.compile(
    r"^(learner_id|user_id|student_id|guardian_id|author|author_id|actor|subject|created_by|"
    r"sent_by|given_by|scored_by|decided_by|dismissed_by|assigned_by|approved_by|revoked_by|"
    r"updated_by|requested_by|owner_id|principal|participants?|student_.*|guardian_.*|"
    r"author_.*|learner_.*)$"
)


def looks_like_person(column: str) -> bool:
    return PERSON_COLUMN.match(column) is not None


@dataclass(frozen=True)
class Subject:
    """A column holding an event subject: ``learner/<id>`` or ``learner/<id>/<part>``."""

    column: str
    prefix: str = "learner/"


@dataclass(frozen=True)
class Anywhere:
    """A JSON or text column naming the learner anywhere in its content (an event envelope:
    ``enrollment.changed`` of a class names the learner in its ``data``). Matched on the column
    read as text (a UUID's text has no LIKE wildcard); a full scan of the table, which only the
    export and the deletion do."""

    column: str


@dataclass(frozen=True)
class Via:
    """This table's ``column`` points at ``parent.parent_column``, a row of a learner table."""

    column: str
    parent: Table
    parent_column: str = "id"


Match = str | Subject | Anywhere


@dataclass(frozen=True)
class LearnerTable:
    table: Table
    learner_columns: tuple[Match, ...] = ()
    mentions: tuple[Match, ...] = ()
    via: Via | None = None
    files: tuple[str, ...] = ()
    # Columns never exported (secrets a learner has no use for: a request fingerprint).
    omit: tuple[str, ...] = ()
    note: str = ""

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def flat(self) -> bool:
        """No JSON column: the table reads naturally as CSV."""
        return not any(isinstance(c.type, JSON) for c in self.table.columns)


@dataclass(frozen=True)
class NoLearnerData:
    table: Table
    why: str = ""

    @property
    def name(self) -> str:
        return self.table.name


Entry = LearnerTable | NoLearnerData


def _column_name(match: Match) -> str:
    return match if isinstance(match, str) else match.column


@dataclass(frozen=True)
class LearnerDataMap:
    """One service's declarations. Built once at import; a wrong one fails there, loudly."""

    service: str
    metadata: MetaData
    entries: tuple[Entry, ...]
    _by_name: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Entry] = {}
        for entry in self.entries:
            if entry.name in by_name:
                raise ValueError(f"{self.service}: table {entry.name} declared twice")
            if self.metadata.tables.get(entry.name) is not entry.table:
                raise ValueError(f"{self.service}: {entry.name} is not a table of its metadata")
            by_name[entry.name] = entry
        object.__setattr__(self, "_by_name", by_name)
        for entry in self.entries:
            if isinstance(entry, LearnerTable):
                self._check(entry)

    def _check(self, entry: LearnerTable) -> None:
        columns = entry.table.columns
        named = [_column_name(m) for m in (*entry.learner_columns, *entry.mentions)]
        for name in (*named, *entry.files, *entry.omit):
            if name not in columns:
                raise ValueError(f"{self.service}: {entry.name} has no column {name}")
        if not entry.learner_columns and entry.via is None:
            raise ValueError(f"{self.service}: {entry.name} names no learner column and no via")
        if entry.via is not None:
            parent = self._by_name.get(entry.via.parent.name)
            if not isinstance(parent, LearnerTable):
                raise ValueError(
                    f"{self.service}: {entry.name} reaches the learner via "
                    f"{entry.via.parent.name}, which is not a declared learner table"
                )
            if entry.via.column not in columns or entry.via.parent_column not in parent.table.c:
                raise ValueError(f"{self.service}: {entry.name}'s via names a missing column")

    def entry(self, name: str) -> Entry | None:
        return self._by_name.get(name)

    @property
    def learner_tables(self) -> tuple[LearnerTable, ...]:
        return tuple(e for e in self.entries if isinstance(e, LearnerTable))

    def undeclared(self) -> list[str]:
        """Tables of the metadata without a declaration (the coverage test's first check)."""
        return sorted(set(self.metadata.tables) - set(self._by_name))


def _match(table: Table, match: Match, learner_id: uuid.UUID) -> ColumnElement[bool]:
    column = table.c[_column_name(match)]
    text = str(learner_id)
    if isinstance(match, Anywhere):
        return cast(column, Text).contains(text)
    if isinstance(match, Subject):
        exact = match.prefix + text
        # A UUID's text has no LIKE wildcard in it.
        return or_(column == exact, column.like(exact + "/%"))
    if isinstance(column.type, Uuid):
        return column == learner_id
    if isinstance(column.type, String):
        return column == text
    raise TypeError(f"{table.name}.{column.name}: cannot match a learner on {column.type}")


def learner_condition(
    data_map: LearnerDataMap,
    entry: LearnerTable,
    learner_id: uuid.UUID,
    district_id: uuid.UUID,
    *,
    mentions: bool = True,
) -> ColumnElement[bool]:
    """The rows of ``entry`` that hold the learner's data, in the district only."""
    table = entry.table
    matches = [*entry.learner_columns, *(entry.mentions if mentions else ())]
    conditions: list[ColumnElement[bool]] = [_match(table, m, learner_id) for m in matches]
    if entry.via is not None:
        parent = data_map.entry(entry.via.parent.name)
        assert isinstance(parent, LearnerTable)  # checked when the map was built
        parent_rows: Select[Any] = select(parent.table.c[entry.via.parent_column]).where(
            learner_condition(data_map, parent, learner_id, district_id, mentions=False)
        )
        conditions.append(table.c[entry.via.column].in_(parent_rows))
    condition = or_(*conditions) if conditions else false()
    if "district_id" in table.c:
        # Every read scoped to the district: another district's rows never leave, whatever
        # matched (the district of a row reached via a parent is the parent's, checked there).
        return and_(table.c.district_id == district_id, condition)
    return condition


def _scoped(entry: LearnerTable) -> bool:
    return "district_id" in entry.table.c or entry.via is not None


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class FileRef:
    table: str
    column: str
    storage_key: str
    row: dict[str, Any]


async def _rows(
    session: AsyncSession,
    data_map: LearnerDataMap,
    entry: LearnerTable,
    learner_id: uuid.UUID,
    district_id: uuid.UUID,
) -> list[dict[str, Any]]:
    table = entry.table
    keep = [c for c in table.columns if c.name not in entry.omit]
    query = (
        select(*keep)
        .where(learner_condition(data_map, entry, learner_id, district_id))
        .order_by(*table.primary_key.columns)
    )
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def export_learner(
    session: AsyncSession,
    data_map: LearnerDataMap,
    learner_id: uuid.UUID,
    district_id: uuid.UUID,
) -> dict[str, Any]:
    """Every declared table's rows for the learner (JSON-ready), and the files they hold:
    ``{"service", "learner_id", "tables": {name: {"flat", "rows"}}, "files": [...]}``."""
    tables: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    # A table with no district of its own (an event counter keyed by subject) is read only
    # when the learner has rows of the district in this service: another district's export job
    # learns nothing, not even that the learner exists.
    ordered = sorted(data_map.learner_tables, key=lambda e: not _scoped(e))
    in_district = False
    for entry in ordered:
        if not _scoped(entry) and not in_district:
            tables[entry.name] = {"flat": entry.flat, "rows": []}
            continue
        rows = await _rows(session, data_map, entry, learner_id, district_id)
        in_district = in_district or (bool(rows) and _scoped(entry))
        tables[entry.name] = {"flat": entry.flat, "rows": [_jsonable(r) for r in rows]}
        pk = [c.name for c in entry.table.primary_key.columns]
        for row in rows:
            for column in entry.files:
                if row.get(column):
                    files.append(
                        {
                            "table": entry.name,
                            "column": column,
                            "storage_key": str(row[column]),
                            "row": {name: _jsonable(row[name]) for name in pk},
                            **{
                                k: _jsonable(row[k])
                                for k in ("filename", "media_type", "size_bytes")
                                if k in row
                            },
                        }
                    )
    return {
        "service": data_map.service,
        "learner_id": str(learner_id),
        "tables": {e.name: tables[e.name] for e in data_map.learner_tables},
        "files": files,
    }


async def find_learner_file(
    session: AsyncSession,
    data_map: LearnerDataMap,
    learner_id: uuid.UUID,
    district_id: uuid.UUID,
    table_name: str,
    storage_key: str,
) -> bool:
    """Whether ``storage_key`` is a file of one of the learner's rows of ``table_name`` (so the
    file endpoint serves only what the export lists, never any key it is given)."""
    entry = data_map.entry(table_name)
    if not isinstance(entry, LearnerTable) or not entry.files:
        return False
    key_matches: Iterable[ColumnElement[bool]] = (
        entry.table.c[column] == storage_key for column in entry.files
    )
    query = (
        select(entry.table.c[entry.files[0]])
        .where(learner_condition(data_map, entry, learner_id, district_id), or_(*key_matches))
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


def erased_learner_id(district_id: uuid.UUID) -> uuid.UUID:
    """The pseudonym that replaces an erased learner's id where they were only the author or
    actor of a row about someone else (a comment on another learner's goal): one fixed id per
    district, ``uuid5(district_id, "erased-learner")``. It names no one: every erased learner of
    the district becomes the same id, so nothing leads back from it to a person."""
    return uuid.uuid5(district_id, "erased-learner")


def _via_depth(data_map: LearnerDataMap, entry: LearnerTable) -> int:
    depth = 0
    while entry.via is not None:
        parent = data_map.entry(entry.via.parent.name)
        assert isinstance(parent, LearnerTable)  # checked when the map was built
        entry, depth = parent, depth + 1
    return depth


def _erase_order(data_map: LearnerDataMap) -> list[LearnerTable]:
    """Children before their parents: the deepest ``via`` chains first (a child's rows are found
    through its parent's, which must still be there), then by foreign keys (a table that refers
    to another is emptied of the learner before the one it refers to)."""
    rank = {t.name: i for i, t in enumerate(reversed(data_map.metadata.sorted_tables))}
    return sorted(data_map.learner_tables, key=lambda e: (-_via_depth(data_map, e), rank[e.name]))


def _mention_value(column_type: Any, district_id: uuid.UUID) -> uuid.UUID | str:
    pseudonym = erased_learner_id(district_id)
    return pseudonym if isinstance(column_type, Uuid) else str(pseudonym)


@dataclass(frozen=True)
class Erasure:
    """What one erase did: rows deleted and mentions pseudonymized per table, files deleted."""

    service: str
    deleted: dict[str, int]
    pseudonymized: dict[str, int]
    files: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "deleted": self.deleted,
            "pseudonymized": self.pseudonymized,
            "files_deleted": len(self.files),
        }


async def erase_learner(
    session: AsyncSession,
    data_map: LearnerDataMap,
    learner_id: uuid.UUID,
    district_id: uuid.UUID,
    delete_file: Any = None,
) -> Erasure:
    """Delete every row the map declares as the learner's, in the district, and replace the
    learner's id by ``erased_learner_id`` in ``mentions`` columns of rows that stay, in the
    caller's transaction (one per service: the commit erases all or nothing).

    ``delete_file(key)`` (a coroutine) deletes each file the rows hold *before* the rows go:
    if deleting a file fails, the transaction rolls back and the next call finds the rows and
    their keys again (deleting a file that is already gone is not an error), so no file outlives
    the rows that named it. Idempotent: a second call finds nothing and answers zeros."""
    deleted: dict[str, int] = {}
    pseudonymized: dict[str, int] = {}
    files: list[str] = []
    ordered = _erase_order(data_map)
    # As the export: a table without a district of its own (an event counter keyed by subject)
    # is touched only when the learner has rows of this district here.
    in_district = False
    for entry in ordered:
        if _scoped(entry):
            found = await session.execute(
                select(entry.table.c[next(iter(entry.table.primary_key.columns)).name])
                .where(learner_condition(data_map, entry, learner_id, district_id, mentions=False))
                .limit(1)
            )
            in_district = in_district or found.first() is not None
        if in_district:
            break
    for entry in ordered:
        table = entry.table
        if not _scoped(entry) and not in_district:
            deleted[entry.name], pseudonymized[entry.name] = 0, 0
            continue
        condition = learner_condition(data_map, entry, learner_id, district_id, mentions=False)
        if entry.files:
            keys = select(*(table.c[c] for c in entry.files)).where(condition)
            for row in (await session.execute(keys)).all():
                for key in row:
                    if key:
                        files.append(str(key))
                        if delete_file is not None:
                            await delete_file(str(key))
        result = await session.execute(table.delete().where(condition))
        deleted[entry.name] = int(getattr(result, "rowcount", 0) or 0)
        changed = 0
        for match in entry.mentions:
            name = _column_name(match)
            column = table.c[name]
            mention = _match(table, match, learner_id)
            if "district_id" in table.c:
                mention = and_(table.c.district_id == district_id, mention)
            result = await session.execute(
                table.update()
                .where(mention)
                .values({name: _mention_value(column.type, district_id)})
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
        pseudonymized[entry.name] = changed
    return Erasure(data_map.service, deleted, pseudonymized, files)
