"""The change feed: recording what a transaction changes, and reading a district's feed
(docs/profiles.md, "Change feed").

**Recording.** Every write of a roster or learner object calls ``record`` (or ``record_many``,
the import's bulk form): it only remembers the change in the session. Just before the
transaction commits (``pathwise_shared.db.uow.before_commit``) the remembered changes are
numbered and inserted, in that same transaction, so a change and its feed entry commit or roll
back together.

**Why the numbers are given at the commit.** A feed read returns the entries after the cursor's
``seq``; if an entry with a lower ``seq`` became visible after one with a higher ``seq`` had been
read, the reader would never see it. A database sequence does exactly that: on PostgreSQL,
transaction A takes 41, B takes 42, B commits, a reader reads 42 and moves its cursor past it,
then A commits 41, skipped for good. So the number comes from a per-district counter row
(``change_counters``), bumped by an upsert as the transaction's last statement. The upsert locks
the row until the commit: a second transaction of the district waits there until the first has
committed (or rolled back, which returns its numbers), then continues from its value. Numbers
are therefore handed out in commit order, and when a reader sees ``seq`` N every lower number is
already visible (or was never used). SQLite runs one writer at a time anyway. The price is that
a district's writers serialize on the counter for the length of their commit only, since the
bump is the last statement; and it can deadlock with nothing, since a transaction holding a
counter takes no other lock afterwards (districts, if several, in sorted order).
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.change_feed import (
    REPRESENTED,
    CursorError,
    Operation,
    decode_cursor,
    encode_cursor,
    href_of,
    operation_for,
)
from pathwise_profiles.domain.record_fields import RecordReader
from pathwise_profiles.repository import changes as repo
from pathwise_profiles.repository import lookups
from pathwise_profiles.schemas.changes import ChangeEntry, ChangePage, Tombstone
from pathwise_profiles.schemas.roster import (
    ClassOut,
    CourseOut,
    DistrictOut,
    EnrollmentOut,
    GuardianLinkOut,
    SchoolOut,
    SessionOut,
    UserOut,
)
from pathwise_profiles.service.user_records import reader_of, user_out
from pathwise_shared.auth import Principal
from pathwise_shared.db.uow import before_commit
from pathwise_shared.problems import BadRequest
from pathwise_shared.timeutil import utcnow

__all__ = [
    "learners_shown",
    "read_feed",
    "record",
    "record_many",
    "record_rows",
    "record_status",
]

_PENDING = "profiles.pending_changes"
_HOOK = "profiles.change_log"
Key = tuple[uuid.UUID, str, uuid.UUID]


def _pending(session: AsyncSession) -> dict[Key, tuple[Operation, Any]]:
    pending: dict[Key, tuple[Operation, Any]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {}
    before_commit(session, _HOOK, _write_pending)
    return pending


def record(
    session: AsyncSession,
    district_id: uuid.UUID,
    object_type: str,
    object_id: uuid.UUID,
    operation: Operation,
) -> None:
    """Remember that this transaction wrote the object; one entry per object per transaction,
    placed and typed by its last write (created then deleted in one request is one delete)."""
    record_many(session, district_id, object_type, [object_id], operation)


def record_status(
    session: AsyncSession,
    district_id: uuid.UUID,
    object_type: str,
    object_id: uuid.UUID,
    status: str,
) -> None:
    """A roster record written with ``status``: ``tobedeleted`` is a delete, else an upsert."""
    record(session, district_id, object_type, object_id, operation_for(status))


def record_many(
    session: AsyncSession,
    district_id: uuid.UUID,
    object_type: str,
    object_ids: Iterable[uuid.UUID],
    operation: Operation,
) -> None:
    pending = _pending(session)
    now = utcnow()
    for object_id in object_ids:
        key = (district_id, object_type, object_id)
        # Popped and set again: the entry moves to this (its last) write's place.
        pending.pop(key, None)
        pending[key] = (operation, now)


# The object type of each table the demo seeds insert (seed.py, seed_lakeside.py).
_SEEDED = {
    "districts": "district",
    "schools": "school",
    "academic_sessions": "academic_session",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
    "guardian_links": "guardian_link",
    "learner_profiles": "learner_profile",
}


def record_rows(session: AsyncSession, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """The changes of rows inserted table by table (the demo seeds), so a seeded district's feed
    starts with all of it, like one built through the API."""
    for table, object_type in _SEEDED.items():
        for row in rows.get(table, []):
            district_id = row["id"] if table == "districts" else row["district_id"]
            object_id = row["learner_id"] if table == "learner_profiles" else row["id"]
            record(
                session,
                district_id,
                object_type,
                object_id,
                operation_for(row.get("status", "active")),
            )


async def _write_pending(session: AsyncSession) -> None:
    pending: dict[Key, tuple[Operation, Any]] = session.info.pop(_PENDING, {})
    if not pending:
        return
    counts: dict[uuid.UUID, int] = {}
    for district_id, _, _ in pending:
        counts[district_id] = counts.get(district_id, 0) + 1
    # The counter is bumped here, as the transaction's last statement (module docstring).
    last = await repo.bump_counters(session, counts)
    next_seq = {d: last[d] - counts[d] + 1 for d in counts}
    rows: list[dict[str, Any]] = []
    for (district_id, object_type, object_id), (operation, at) in pending.items():
        rows.append(
            {
                "district_id": district_id,
                "seq": next_seq[district_id],
                "object_type": object_type,
                "object_id": object_id,
                "operation": operation,
                "changed_at": at,
            }
        )
        next_seq[district_id] += 1
    await repo.insert_changes(session, rows)


async def read_feed(
    session: AsyncSession,
    principal: Principal,
    *,
    cursor: str | None,
    start: Literal["beginning", "now"] | None,
    limit: int,
) -> ChangePage:
    district_id = principal.require_district()
    # The GET's one snapshot: the counter and the entries are read as of the same moment.
    last = await repo.last_seq(session, district_id)
    if cursor is not None and start is not None:
        raise BadRequest(
            "Send either `cursor` (to resume) or `start` (to begin), not both.",
            slug="invalid-query",
            parameter="start",
        )
    if cursor is not None:
        after = _position(cursor, district_id, last)
    else:
        after = last if start == "now" else 0
    rows = await repo.page_after(session, district_id, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    objects = await _current_objects(session, district_id, rows)
    reader = await reader_of(session, principal, [i for (t, i) in objects if t == "user"])
    items = [_entry(row, objects, reader) for row in rows]
    end = rows[-1]["seq"] if rows else after
    return ChangePage(items=items, next_cursor=encode_cursor(district_id, end), has_more=more)


def _position(cursor: str, district_id: uuid.UUID, last: int) -> int:
    try:
        position = decode_cursor(cursor, district_id)
    except CursorError as exc:
        if exc.reason == "other_district":
            raise BadRequest(
                "This cursor belongs to another district's change feed. Keep one cursor per "
                "district, or start this district's feed without one (or with start=now).",
                slug="cursor-of-another-district",
            ) from exc
        raise BadRequest("The cursor is not one this feed issued.", slug="invalid-cursor") from exc
    if position.seq > last:
        # Not a position we gave out (we never issue one past the last entry): reading from it
        # would silently skip the entries up to it once they exist.
        raise BadRequest("The cursor is ahead of this feed.", slug="invalid-cursor")
    return position.seq


async def _current_objects(
    session: AsyncSession, district_id: uuid.UUID, rows: Sequence[RowMapping]
) -> dict[tuple[str, uuid.UUID], Mapping[str, Any]]:
    """The current rows of the page's objects, one query per object type (deletes too: their
    tombstone carries the record's ``sourced_id``)."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for row in rows:
        if row["object_type"] in REPRESENTED:
            wanted.setdefault(row["object_type"], set()).add(row["object_id"])
    found: dict[tuple[str, uuid.UUID], Mapping[str, Any]] = {}
    for object_type, ids in wanted.items():
        table = repo.TABLES[object_type]
        for object_id, current in (
            await repo.rows_by_id(session, table, sorted(ids), district_id)
        ).items():
            found[(object_type, object_id)] = dict(current)
    users = [object_id for (kind, object_id) in found if kind == "user"]
    if users:
        roles, schools = await lookups.roles_and_schools(session, users)
        for user_id in users:
            found[("user", user_id)] = {
                **found[("user", user_id)],
                "roles": roles[user_id],
                "school_ids": schools[user_id],
            }
    return found


_OUTS: dict[str, Any] = {
    "district": DistrictOut,
    "school": SchoolOut,
    "academic_session": SessionOut,
    "course": CourseOut,
    "class": ClassOut,
    "enrollment": EnrollmentOut,
    "guardian_link": GuardianLinkOut,
}


def _representation(object_type: str, current: Mapping[str, Any], reader: RecordReader) -> Any:
    if object_type == "user":
        return user_out(current, reader)
    values = dict(current)
    if object_type == "enrollment":
        # The column is ``is_primary`` (``primary`` is an SQL keyword); the API says ``primary``.
        values["primary"] = values.pop("is_primary")
    return _OUTS[object_type].model_validate(values)


def _entry(
    row: RowMapping,
    objects: Mapping[tuple[str, uuid.UUID], Mapping[str, Any]],
    reader: RecordReader,
) -> ChangeEntry:
    object_type = row["object_type"]
    object_id = row["object_id"]
    current = objects.get((object_type, object_id))
    entry: dict[str, Any] = {
        "seq": row["seq"],
        "cursor": encode_cursor(row["district_id"], row["seq"]),
        "object_type": object_type,
        "object_id": object_id,
        "operation": row["operation"],
        "changed_at": row["changed_at"],
        "href": href_of(object_type, object_id),
    }
    if row["operation"] == "delete":
        entry["tombstone"] = Tombstone(
            id=object_id,
            sourced_id=current.get("sourced_id") if current is not None else None,
            deleted_at=row["changed_at"],
        )
    elif current is not None:
        entry["object"] = _representation(object_type, current, reader)
    return ChangeEntry.model_validate(entry)


def learners_shown(page: ChangePage) -> list[uuid.UUID]:
    """The learners whose records the page shows (a student's user record, a student's
    enrollment), for the gateway's audit of who read a learner (``Pathwise-Learners``, as the
    OneRoster reads do); a learner profile entry is a link and shows nothing of the profile."""
    shown: list[uuid.UUID] = []
    for entry in page.items:
        record = entry.object
        if isinstance(record, UserOut) and "student" in record.roles:
            shown.append(record.id)
        elif isinstance(record, EnrollmentOut) and record.role == "student":
            shown.append(record.user_id)
    return shown
