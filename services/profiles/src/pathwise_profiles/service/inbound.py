"""Roster changes pushed by a district's SIS through the gateway's signed inbound webhook.

The gateway verifies the Standard Webhooks signature and forwards OneRoster-shaped users,
classes and enrollments (REST shapes: ``{"school": {"sourcedId": …}}``; flat CSV-style keys work
too) as the system principal of the district. They are read, planned and written by the same
code as the CSV import, as a delta (``status: tobedeleted`` deletes), in the request's one
transaction. Bad records do not block good ones: the answer lists them by list and position,
because a retry of the same batch would not fix them.

The import's mass-change guard (``domain/roster_guard.py``, the same kinds and limits) weighs the
batch against the district's active rows: a batch past a kind's limit is refused whole (409,
nothing written) unless it carries ``force``. A SIS bug that marks every student
``tobedeleted`` would otherwise log them all out and tell every app they are gone.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.oneroster_csv import FileMode
from pathwise_profiles.domain.roster_guard import GuardLimits, check_guard
from pathwise_profiles.domain.roster_planner import make_plan
from pathwise_profiles.domain.roster_records import flatten_json
from pathwise_profiles.repository import imports as repo
from pathwise_profiles.schemas.internal import RosterChanges, RosterChangesResult
from pathwise_profiles.service.roster_apply import Parsed, apply_plan, parse_rows
from pathwise_shared.auth import Principal
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Conflict

__all__ = ["apply_changes"]

MODES: dict[str, FileMode] = {"classes": "delta", "users": "delta", "enrollments": "delta"}
# Which kinds a record of each list names (itself and its references), for a narrow snapshot.
_REFS = {
    "school_id": "schools",
    "course_id": "courses",
    "session_id": "sessions",
    "class_id": "classes",
    "user_id": "users",
}


def _wanted(parsed: Parsed) -> tuple[dict[str, set[str]], set[str]]:
    wanted: dict[str, set[str]] = {kind: set() for kind in repo.TABLES}
    usernames: set[str] = set()
    for kind, records in parsed.records.items():
        for record in records:
            wanted[kind].add(record.sourced_id)
            for column, target in record.refs.items():
                if target is not None:
                    wanted[_REFS[column.rstrip("?")]].add(target)
            wanted["schools"].update(record.org_refs)
            wanted["users"].update(record.agent_refs)
            if kind == "users" and record.values.get("username"):
                usernames.add(record.values["username"])
    for kind, ids in parsed.failed.items():
        wanted[kind] |= ids
    return wanted, usernames


async def apply_changes(
    session: AsyncSession, principal: Principal, body: RosterChanges, limits: GuardLimits
) -> RosterChangesResult:
    district_id = principal.require_district()
    parsed = Parsed()
    for kind in ("classes", "users", "enrollments"):
        records: list[dict[str, Any]] = getattr(body, kind)
        parse_rows(parsed, [flatten_json(kind, i, r) for i, r in enumerate(records)])
    wanted, usernames = _wanted(parsed)
    snapshot = await repo.load_snapshot(session, district_id, wanted, usernames)
    plan = make_plan(
        parsed.records,
        MODES,
        snapshot,
        errors=parsed.errors,
        failed=parsed.failed,
        failed_lines=parsed.failed_lines,
        new_id=new_id,
    )
    verdict = check_guard(plan, snapshot, limits)
    if verdict.tripped and not body.force:
        raise Conflict(
            verdict.message(
                "This batch",
                'guard.kinds lists each kind; send the batch again with "force": true to apply it.',
            ),
            slug="mass-change-refused",
            tripped=verdict.tripped,
            guard=verdict.report(),
        )
    await apply_plan(session, district_id, plan, snapshot, commit=False)
    return RosterChangesResult(
        applied=plan.writes,
        guard=verdict.report(),
        diff={
            kind: {k: v for k, v in summary.items() if k != "samples"}
            for kind, summary in plan.diff().items()
        },
        errors=[e.as_dict() for e in plan.errors],
    )
