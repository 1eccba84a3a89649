"""Reading a file set into records, and writing a plan to the database in chunks.

Shared by the OneRoster CSV import and the inbound roster webhook, so both create, update and
delete through the same code (and emit the same events).
"""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.oneroster_csv import FILES, Manifest, RawRow, RowError, read_rows
from pathwise_profiles.domain.profile import default_profile
from pathwise_profiles.domain.roster_plan import Plan, Snapshot, Write
from pathwise_profiles.domain.roster_records import (
    KINDS,
    OtherOrg,
    Record,
    RoleGrant,
    RowProblems,
    other_org,
    read_record,
    read_role_grant,
)
from pathwise_profiles.models import guardian_links, learner_profiles
from pathwise_profiles.repository import imports as repo
from pathwise_profiles.service.change_log import record_many
from pathwise_profiles.service.events import emit_many
from pathwise_profiles.service.import_sources import FileSet
from pathwise_shared.db.uow import commit_now
from pathwise_shared.timeutil import utcnow

__all__ = ["CHUNK", "Parsed", "apply_plan", "parse_rows", "read_file_set"]

CHUNK = 10_000
# The change feed's object type of each kind (domain/change_feed.py).
OBJECT_TYPE = {
    "schools": "school",
    "sessions": "academic_session",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
}
KIND_OF_FILE = {
    "orgs": "schools",
    "academicSessions": "sessions",
    "courses": "courses",
    "classes": "classes",
    "users": "users",
    "enrollments": "enrollments",
}


@dataclass
class Parsed:
    records: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    grants: list[RoleGrant] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    failed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # where each failed row is, by kind and sourcedId: a row naming it says which line to fix
    failed_lines: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    skipped: int = 0
    rows: int = 0
    other_orgs: dict[str, OtherOrg] = field(default_factory=dict)
    # rows read and deliberately not stored, by file (demographics: we keep none)
    not_stored: dict[str, int] = field(default_factory=dict)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)


def parse_rows(parsed: Parsed, rows: Iterable[RawRow]) -> None:
    for row in rows:
        parsed.rows += 1
        try:
            if row.file == "roles":
                parsed.grants.append(read_role_grant(row))
                continue
            if row.file == "demographics":
                # accepted, not stored: we keep no demographics (the report says so)
                parsed.skipped += 1
                parsed.not_stored[row.file] = parsed.not_stored.get(row.file, 0) + 1
                continue
            record = read_record(row)
        except RowProblems as problems:
            parsed.errors.extend(problems.errors)
            if problems.sourced_id and row.file in KIND_OF_FILE:
                parsed.failed[KIND_OF_FILE[row.file]].add(problems.sourced_id)
                parsed.failed_lines[KIND_OF_FILE[row.file]][problems.sourced_id] = row.line
            continue
        if record is None:
            parsed.skipped += 1
            org = other_org(row)
            if org is not None:
                parsed.other_orgs[org.sourced_id] = org
        else:
            parsed.records[record.kind].append(record)


def read_file_set(files: FileSet, manifest: Manifest) -> Parsed:
    """Every row of every file the manifest lists (blocking: run it in a thread)."""
    parsed = Parsed()
    for name in FILES:
        if manifest.modes.get(name, "absent") == "absent":
            continue
        with files.lines(f"{name}.csv") as handle:
            read = read_rows(name, handle)
        # Demographics are accepted and not stored at all, so no column of theirs is news.
        if read.ignored_columns and name != "demographics":
            parsed.ignored_columns[f"{name}.csv"] = read.ignored_columns
        parse_rows(parsed, read.rows)
    return parsed


Progress = Callable[[AsyncSession, int], Awaitable[None]]


def _row(district_id: uuid.UUID, write: Write, now: Any, kind: str) -> dict[str, Any]:
    values = {name: write.values.get(name) for name in repo.COMPARED[kind]}
    return {
        "id": write.id,
        "district_id": district_id,
        "sourced_id": write.sourced_id,
        "status": write.status,
        "created_at": now,
        "updated_at": now,
        **values,
    }


def _record(session: AsyncSession, district_id: uuid.UUID, kind: str, chunk: list[Write]) -> None:
    """The chunk's records on the change feed, numbered with the chunk's commit (no statement
    here: one insert per chunk when it commits)."""
    deleted = [w.id for w in chunk if w.status == "tobedeleted"]
    kept = [w.id for w in chunk if w.status != "tobedeleted"]
    record_many(session, district_id, OBJECT_TYPE[kind], kept, "upsert")
    record_many(session, district_id, OBJECT_TYPE[kind], deleted, "delete")


def _chunks(items: list[Write]) -> Iterable[list[Write]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def apply_plan(
    session: AsyncSession,
    district_id: uuid.UUID,
    plan: Plan,
    snapshot: Snapshot,
    *,
    commit: bool,
    progress: Progress | None = None,
) -> None:
    """Write the plan kind by kind in chunks of ``CHUNK``; ``commit`` after each chunk (a job
    whose progress others read) or leave the one transaction to the caller (a request)."""
    done = 0

    async def step(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            await progress(session, done)
        if commit:
            await commit_now(session)

    enrollment_changes: dict[uuid.UUID, dict[str, int]] = defaultdict(
        lambda: {"added": 0, "updated": 0, "removed": 0}
    )
    for kind in KINDS:
        kind_plan = plan.kinds.get(kind)
        if kind_plan is None:
            continue
        table = repo.TABLES[kind]
        for chunk in _chunks(kind_plan.creates):
            now = utcnow()
            await repo.insert_many(session, table, [_row(district_id, w, now, kind) for w in chunk])
            _record(session, district_id, kind, chunk)
            if kind == "users":
                await _after_users(session, district_id, chunk, snapshot, fresh=True)
            if kind == "enrollments":
                for w in chunk:
                    enrollment_changes[w.values["class_id"]]["added"] += 1
            await step(len(chunk))
        columns = [*repo.COMPARED[kind], "status", "updated_at"]
        for chunk in _chunks(kind_plan.updates):
            now = utcnow()
            rows = [
                {
                    "b_id": w.id,
                    "status": w.status,
                    "updated_at": now,
                    **{c: w.values.get(c) for c in repo.COMPARED[kind]},
                }
                for w in chunk
            ]
            await repo.update_many(session, table, columns, rows)
            _record(session, district_id, kind, chunk)
            if kind == "users":
                await _after_users(session, district_id, chunk, snapshot, fresh=False)
            if kind == "enrollments":
                for w in chunk:
                    enrollment_changes[w.values["class_id"]]["updated"] += 1
            await step(len(chunk))
        for chunk in _chunks(kind_plan.deletes):
            await repo.mark_deleted(session, table, [w.id for w in chunk], utcnow())
            record_many(session, district_id, OBJECT_TYPE[kind], [w.id for w in chunk], "delete")
            if kind == "users":
                record_many(
                    session,
                    district_id,
                    "learner_profile",
                    [w.id for w in chunk if "student" in w.roles],
                    "delete",
                )
            if kind == "users":
                await emit_many(
                    session,
                    district_id,
                    [_learner_event("learner.deleted", w) for w in chunk if "student" in w.roles],
                )
            if kind == "enrollments":
                for w in chunk:
                    enrollment_changes[w.values["class_id"]]["removed"] += 1
            await step(len(chunk))
    await _apply_links(session, district_id, plan)
    # One event per class rather than per row: a district import touches 500k enrollments.
    await emit_many(
        session,
        district_id,
        [
            (
                "enrollment.changed",
                f"class/{class_id}",
                {"class_id": str(class_id), "change": "imported", **counts},
            )
            for class_id, counts in enrollment_changes.items()
        ],
    )


async def _apply_links(session: AsyncSession, district_id: uuid.UUID, plan: Plan) -> None:
    if not plan.links:
        return
    now = utcnow()
    fresh = [link for link in plan.links if not link.reactivate]
    await repo.insert_many(
        session,
        guardian_links,
        [
            {
                "id": link.id,
                "district_id": district_id,
                "guardian_id": link.guardian_id,
                "student_id": link.student_id,
                "relationship": link.relationship,
                "sourced_id": None,
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
            for link in fresh
        ],
    )
    await repo.update_many(
        session,
        guardian_links,
        ["status", "relationship", "updated_at"],
        [
            {
                "b_id": link.id,
                "status": "active",
                "relationship": link.relationship,
                "updated_at": now,
            }
            for link in plan.links
            if link.reactivate
        ],
    )
    record_many(session, district_id, "guardian_link", [link.id for link in plan.links], "upsert")
    students = sorted({link.student_id for link in plan.links})
    await emit_many(
        session,
        district_id,
        [
            ("learner.updated", f"learner/{s}", {"learner_id": str(s), "fields": ["guardians"]})
            for s in students
        ],
    )


def _learner_event(type_: str, write: Write) -> tuple[str, str, dict[str, Any]]:
    data: dict[str, Any] = {"learner_id": str(write.id)}
    if type_ == "learner.created":
        data["grade"] = write.values.get("grade")
    elif type_ == "learner.updated":
        data["fields"] = sorted(write.changed)
    return (type_, f"learner/{write.id}", data)


async def _after_users(
    session: AsyncSession,
    district_id: uuid.UUID,
    chunk: list[Write],
    snapshot: Snapshot,
    *,
    fresh: bool,
) -> None:
    """Roles, schools, a profile for every new student, and the learner events."""
    await repo.replace_roles_and_schools(
        session, district_id, [(w.id, w.roles, w.school_ids) for w in chunk], fresh=fresh
    )
    now = utcnow()
    new_learners = [w for w in chunk if "student" in w.roles and w.id not in snapshot.learners]
    # One default profile shared by the chunk's rows: they are serialized, never mutated, and
    # the same objects let insert_many serialize them once.
    blank = default_profile()
    await repo.insert_many(
        session,
        learner_profiles,
        [
            {
                **blank,
                "learner_id": w.id,
                "district_id": district_id,
                "created_at": now,
                "updated_at": now,
            }
            for w in new_learners
        ],
    )
    snapshot.learners.update(w.id for w in new_learners)
    record_many(session, district_id, "learner_profile", [w.id for w in new_learners], "upsert")
    events = [_learner_event("learner.created", w) for w in new_learners]
    if not fresh:
        created = {w.id for w in new_learners}
        events += [
            _learner_event("learner.updated", w)
            for w in chunk
            if "student" in w.roles and w.id not in created
        ]
    await emit_many(session, district_id, events)
