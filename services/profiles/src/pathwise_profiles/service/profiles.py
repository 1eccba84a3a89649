"""Learner profile and goal use cases: per-reader views, per-part edits, ETags, history, events."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.access_rules import Relations, decide
from pathwise_profiles.domain.changes import diff
from pathwise_profiles.domain.etags import etag_of, require_match
from pathwise_profiles.domain.goals import clears_co_sign, completes
from pathwise_profiles.domain.profile import PARTS
from pathwise_profiles.domain.surveys import DELEGATED_BY_SURVEY
from pathwise_profiles.domain.visibility import (
    Reader,
    forbidden_fields,
    reader_for,
    refused_settings,
    visible_parts,
)
from pathwise_profiles.repository import profiles as repo
from pathwise_profiles.schemas.profiles import (
    GoalCreate,
    GoalOut,
    GoalUpdate,
    HistoryEntry,
    ProfileOut,
    ProfilePatch,
)
from pathwise_profiles.service.access import enforce, require_access
from pathwise_profiles.service.change_log import record
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.notifications import notify_event
from pathwise_shared.auth import Principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.uow import StatementReader, one_statement_read
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    UnprocessableContent,
)
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Policy",
    "apply_survey_answers",
    "create_goal",
    "delete_goal",
    "emit_goal_completed",
    "get_profile",
    "goal_out",
    "list_goals",
    "list_history",
    "patch_profile",
    "record_change",
    "update_goal",
]


Record = RowMapping | Mapping[str, Any]


@dataclass(frozen=True)
class Policy:
    """District policy on consent (docs/profiles.md)."""

    learner_may_hide_from_teachers: bool = False


def _part_values(row: Record) -> dict[str, Any]:
    """The profile as parts (``languages`` groups three columns), JSON-ready."""
    return {
        "strengths": row["strengths"],
        "needs": row["needs"],
        "interests": row["interests"],
        "preferred_formats": row["preferred_formats"],
        "pace": row["pace"],
        "languages": {
            "home": row["home_languages"],
            "english_learner": row["english_learner"],
            "english_proficiency": row["english_proficiency"],
        },
        "accommodations": row["accommodations"],
        "notes": row["notes"],
        "restrictions": row["restrictions"],
        "sharing": row["sharing"],
    }


def _columns_of(parts: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in parts.items() if k != "languages"}
    if "languages" in parts:
        values["home_languages"] = parts["languages"]["home"]
        values["english_learner"] = parts["languages"]["english_learner"]
        values["english_proficiency"] = parts["languages"]["english_proficiency"]
    return values


def goal_out(row: Record) -> GoalOut:
    return GoalOut.model_validate({**dict(row), "etag": etag_of("goal", row["version"])})


async def _reader(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, action: str
) -> Reader:
    decision = await require_access(session, principal, action, "learner", learner_id)
    return reader_for(decision.reason)


async def _profile_row(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID
) -> RowMapping:
    district = principal.district_id
    row = None if district is None else await repo.get_profile(session, learner_id, district)
    if row is None:
        raise NotFound("No such learner in your district.", slug="learner-not-found")
    return row


def _visible(reader: Reader, row: Record, policy: Policy) -> set[str]:
    return visible_parts(
        reader,
        row["restrictions"],
        row["sharing"],
        learner_may_hide_from_teachers=policy.learner_may_hide_from_teachers,
    )


async def read_profile(
    db: Database, principal: Principal, learner_id: uuid.UUID, policy: Policy
) -> ProfileOut:
    """``GET /v1/learners/{id}/profile``: :func:`get_profile` on a connection of its own for its
    one statement. Opened here rather than by a request-scoped dependency: FastAPI's machinery
    for a dependency that yields (an exit stack and a shielded exit per request) cost this read
    about a twelfth of its CPU."""
    async with one_statement_read(db) as conn:
        return await get_profile(conn, principal, learner_id, policy)


async def get_profile(
    session: StatementReader, principal: Principal, learner_id: uuid.UUID, policy: Policy
) -> ProfileOut:
    """The access facts, the profile and its goals in one statement, then the same decision
    and the same view as every other use of the profile."""
    if principal.district_id is None:
        # The access check answers 404 to a caller without a district; so does the profile.
        raise NotFound("No such learner in your district.", slug="learner-not-found")
    found = await repo.read_profile(session, principal, learner_id, utcnow().date())
    relations = Relations(found=False) if found is None else found.relations
    decision = enforce(decide(principal, "read", "learner", relations), "read", "learner")
    assert found is not None  # enforce() answered 404 otherwise
    reader = reader_for(decision.reason)
    return _view(reader, found.row, found.goals, policy)


async def _render(session: AsyncSession, reader: Reader, row: Record, policy: Policy) -> ProfileOut:
    """The view of a row read on its own (after an edit): its goals fetched only when shown."""
    shows_goals = "goals" in _visible(reader, row, policy)
    goal_rows = await repo.list_goals(session, row["learner_id"]) if shows_goals else []
    return _view(reader, row, goal_rows, policy)


def _view(reader: Reader, row: Record, goal_rows: Sequence[Record], policy: Policy) -> ProfileOut:
    visible = _visible(reader, row, policy)
    parts = _part_values(row)
    shown = {
        name: (parts[name] if name in visible else None)
        for name in (
            "strengths",
            "needs",
            "interests",
            "preferred_formats",
            "pace",
            "languages",
            "accommodations",
            "notes",
        )
    }
    return ProfileOut(
        learner_id=row["learner_id"],
        district_id=row["district_id"],
        version=row["version"],
        etag=etag_of("profile", row["version"]),
        **shown,
        restrictions=row["restrictions"] if reader in {"admin", "teacher"} else None,
        sharing=row["sharing"],
        goals=[goal_out(g) for g in goal_rows] if "goals" in visible else None,
        hidden=sorted(set(PARTS) - visible),
        updated_at=row["updated_at"],
    )


def _require_writable(reader: Reader, fields: set[str]) -> None:
    refused = forbidden_fields(reader, fields)
    if refused:
        raise Forbidden(
            f"You may not change: {', '.join(refused)}.", slug="part-not-writable", fields=refused
        )


async def record_change(
    session: AsyncSession,
    principal: Principal,
    row: Record,
    part: str,
    target_id: uuid.UUID | None,
    change: tuple[list[str], dict[str, Any], dict[str, Any]],
    version: int,
) -> None:
    fields, before, after = change
    await repo.insert_history(
        session,
        {
            "id": new_id(),
            "district_id": row["district_id"],
            "learner_id": row["learner_id"],
            "actor": principal.subject,
            "actor_roles": sorted(principal.roles) or [principal.kind],
            "at": utcnow(),
            "part": part,
            "target_id": target_id,
            "fields": fields,
            "before": before,
            "after": after,
        },
    )
    # On the change feed as a link (the feed never copies a profile: what shows depends on who
    # reads); goals are part of the profile read, so their edits count too.
    record(session, row["district_id"], "learner_profile", row["learner_id"], "upsert")
    # Thin payload: which parts changed, never their content.
    await emit(
        session,
        "profile.changed",
        row["district_id"],
        f"learner/{row['learner_id']}",
        {
            "learner_id": str(row["learner_id"]),
            "parts": ["goals"] if part == "goal" else fields,
            "version": version,
        },
    )


def _require_honourable(body: ProfilePatch, policy: Policy) -> None:
    """422 for any consent setting we could not enforce everywhere (never stored and ignored)."""
    refused = refused_settings(
        body.restrictions,
        body.sharing,
        learner_may_hide_from_teachers=policy.learner_may_hide_from_teachers,
    )
    if refused:
        raise UnprocessableContent(
            "Settings that cannot be honoured: "
            + "; ".join(f"{r.field}: {r.message}" for r in refused),
            slug="setting-not-honoured",
            errors=[
                {"field": f"body.{r.field}", "message": r.message, "type": "setting_not_honoured"}
                for r in refused
            ],
        )


async def patch_profile(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    body: ProfilePatch,
    if_match: str | None,
    policy: Policy,
) -> ProfileOut:
    reader = await _reader(session, principal, learner_id, "write")
    _require_writable(reader, set(body.model_fields_set))
    _require_honourable(body, policy)
    row = await _profile_row(session, principal, learner_id)
    require_match(if_match, etag_of("profile", row["version"]))
    current = _part_values(row)
    sent = body.model_dump(mode="json", exclude_unset=True, exclude_none=False)
    if "accommodations" in sent:
        sent["accommodations"] = [
            {k: v for k, v in a.items() if v is not None} for a in sent["accommodations"]
        ]
    # Restrictions and sharing are maps: an edit changes the named settings, keeps the others.
    for merged in ("restrictions", "sharing"):
        if merged in sent:
            sent[merged] = {
                **current[merged],
                **{
                    part: {**current[merged].get(part, {}), **flags}
                    for part, flags in sent[merged].items()
                },
            }
    change = diff(current, sent)
    if not change[0]:
        return await _render(session, reader, row, policy)
    ok = await repo.update_profile_if_version(
        session, learner_id, row["version"], {**_columns_of(change[2]), "updated_at": utcnow()}
    )
    if not ok:
        raise PreconditionFailed(
            "The profile changed meanwhile; read it again.", slug="precondition-failed"
        )
    await record_change(session, principal, row, "profile", None, change, row["version"] + 1)
    return await _render(
        session, reader, await _profile_row(session, principal, learner_id), policy
    )


async def apply_survey_answers(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    survey_id: uuid.UUID,
    parts: Mapping[str, Any],
) -> list[str]:
    """The learner's consented survey answers as a profile edit, in the caller's transaction:
    the same write rule (interests are the learner's; formats and pace only because a mapped
    question delegated them), the same limits (``ProfilePatch``), a compare-and-set on the
    version (the ETag changes), a history entry (part ``survey``, the survey as its target) and
    ``profile.changed``. Returns the fields that changed (none: nothing is written)."""
    reader = await _reader(session, principal, learner_id, "write")
    _require_writable(reader, set(parts) - DELEGATED_BY_SURVEY)
    row = await _profile_row(session, principal, learner_id)
    try:
        sent = ProfilePatch.model_validate(dict(parts)).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        # e.g. a 31st interest: the profile's own limits apply to an answer as to an edit.
        errors = [
            {"field": "body.answers", "message": f"{'.'.join(map(str, e['loc']))}: {e['msg']}",
             "type": "profile_limit"}
            for e in exc.errors()
        ]  # fmt: skip
        raise UnprocessableContent(
            "The answers would leave the profile outside its limits.",
            slug="survey-answer-invalid",
            errors=errors,
        ) from None
    change = diff(_part_values(row), sent)
    if not change[0]:
        return []
    if not await repo.update_profile_if_version(
        session, learner_id, row["version"], {**_columns_of(change[2]), "updated_at": utcnow()}
    ):
        # No If-Match here (the learner answers a survey, not a version they read): the whole
        # answer is undone and may simply be sent again.
        raise Conflict(
            "The profile changed while you answered; send your answers again.",
            slug="profile-changed-concurrently",
        )
    await record_change(session, principal, row, "survey", survey_id, change, row["version"] + 1)
    return change[0]


# goals --------------------------------------------------------------------------------------


async def list_goals(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, policy: Policy
) -> list[GoalOut]:
    reader = await _reader(session, principal, learner_id, "read")
    row = await _profile_row(session, principal, learner_id)
    if "goals" not in _visible(reader, row, policy):
        raise Forbidden("The learner does not share their goals with you.", slug="not-shared")
    return [goal_out(g) for g in await repo.list_goals(session, learner_id)]


async def create_goal(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, body: GoalCreate
) -> GoalOut:
    reader = await _reader(session, principal, learner_id, "write")
    _require_writable(reader, {"goals"})
    row = await _profile_row(session, principal, learner_id)
    now = utcnow()
    values = {
        "id": new_id(),
        "district_id": row["district_id"],
        "learner_id": learner_id,
        **body.model_dump(),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    if body.status == "achieved":
        values["completed_at"] = now
    await repo.insert_goal(session, values)
    after = body.model_dump(mode="json")
    await record_change(
        session, principal, row, "goal", values["id"], (sorted(after), {}, after), row["version"]
    )
    if body.status == "achieved":
        await emit_goal_completed(session, values)
    return goal_out(values)


async def emit_goal_completed(session: AsyncSession, goal: Record) -> None:
    """``goal.completed`` in the transaction that made the goal achieved (thin: ids and codes),
    and its notifications with it (profiles' own event: no round trip through the hub)."""
    event = await emit(
        session,
        "goal.completed",
        goal["district_id"],
        f"learner/{goal['learner_id']}",
        {
            "goal_id": str(goal["id"]),
            "learner_id": str(goal["learner_id"]),
            "skill_codes": list(goal["skill_codes"] or []),
        },
    )
    await notify_event(session, event)


async def _goal_for_edit(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, goal_id: uuid.UUID
) -> tuple[Reader, RowMapping, RowMapping]:
    reader = await _reader(session, principal, learner_id, "write")
    _require_writable(reader, {"goals"})
    row = await _profile_row(session, principal, learner_id)
    goal = await repo.get_goal(session, learner_id, goal_id)
    if goal is None:
        raise NotFound("No such goal for this learner.", slug="goal-not-found")
    return reader, row, goal


def _goal_parts(goal: Record) -> dict[str, Any]:
    return GoalCreate.model_validate(
        {
            k: goal[k]
            for k in ("term", "title", "skill_codes", "target_date", "status", "progress", "why")
        }
    ).model_dump(mode="json")


async def update_goal(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    body: GoalUpdate,
    if_match: str | None,
) -> GoalOut:
    reader, row, goal = await _goal_for_edit(session, principal, learner_id, goal_id)
    require_match(if_match, etag_of("goal", goal["version"]))
    change = diff(_goal_parts(goal), body.model_dump(mode="json", exclude_unset=True))
    if change[0]:
        now = utcnow()
        values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if k in change[0]}
        fields, before, after = change
        if clears_co_sign(
            by_student=reader == "student",
            co_signed=goal["co_signed_by"] is not None,
            changed=fields,
        ):
            # The teacher signed another goal than this one now is: the co-sign is withdrawn.
            values.update(co_signed_by=None, co_signed_at=None)
            fields = sorted([*fields, "co_signed_by"])
            before = {**before, "co_signed_by": goal["co_signed_by"]}
            after = {**after, "co_signed_by": None}
        completed = "status" in values and completes(goal["status"], values["status"])
        if "status" in values:
            # Only a changed status is in ``values``: it became achieved or left it.
            values["completed_at"] = now if completed else None
        if not await repo.update_goal_if_version(
            session, goal_id, goal["version"], {**values, "updated_at": now}
        ):
            raise PreconditionFailed(
                "The goal changed meanwhile; read it again.", slug="precondition-failed"
            )
        await record_change(
            session, principal, row, "goal", goal_id, (fields, before, after), row["version"]
        )
        if completed:
            await emit_goal_completed(session, {**dict(goal), **values})
    fresh = await repo.get_goal(session, learner_id, goal_id)
    assert fresh is not None
    return goal_out(fresh)


async def delete_goal(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    if_match: str | None,
) -> None:
    _, row, goal = await _goal_for_edit(session, principal, learner_id, goal_id)
    require_match(if_match, etag_of("goal", goal["version"]))
    before = _goal_parts(goal)
    if not await repo.delete_goal(session, goal_id, goal["version"]):
        raise PreconditionFailed(
            "The goal changed meanwhile; read it again.", slug="precondition-failed"
        )
    await record_change(
        session, principal, row, "goal", goal_id, (sorted(before), before, {}), row["version"]
    )


# history ------------------------------------------------------------------------------------


async def list_history(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> Page[HistoryEntry]:
    reader = await _reader(session, principal, learner_id, "read")
    if reader not in {"admin", "teacher"}:
        raise Forbidden(
            "The change history is for the learner's teachers and admins.", slug="staff-only"
        )
    await _profile_row(session, principal, learner_id)
    after = decode_id_cursor(cursor)
    rows = await repo.list_history(session, learner_id, after=after, limit=limit)
    return page_of(rows, limit, lambda r: [r["id"]], lambda r: HistoryEntry.model_validate(dict(r)))
