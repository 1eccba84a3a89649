"""The learner's voice: teachers' comments and co-signs on a learner's goals, the learner's
reflections (confidence and journal), teachers' replies, and the latest confidence per skill
(docs/profiles.md, "Student-owned goals" and "Reflections")."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.etags import etag_of, require_match
from pathwise_profiles.domain.reflections import (
    latest_confidence,
    may_read_reflections,
    target_kind_of,
)
from pathwise_profiles.domain.visibility import Reader, reader_for, visible_parts
from pathwise_profiles.repository import profiles as profiles_repo
from pathwise_profiles.repository import voice as repo
from pathwise_profiles.schemas.profiles import CommentIn, CommentOut, GoalOut
from pathwise_profiles.schemas.reflections import (
    ConfidenceOut,
    ReflectionIn,
    ReflectionOut,
    SkillConfidenceOut,
)
from pathwise_profiles.service.access import require_access
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.profiles import Policy, goal_out, record_change
from pathwise_shared.auth import Principal
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Forbidden, NotFound, PreconditionFailed, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "add_goal_comment",
    "add_reflection",
    "add_reply",
    "co_sign_goal",
    "get_reflection",
    "latest_confidences",
    "list_goal_comments",
    "list_reflections",
]

# The role a comment or reply is signed with, from the relation that let its author write.
_ROLE_OF_REASON = {
    "teacher_of_learner": "teacher",
    "school_admin_of_school": "school_admin",
    "district_admin": "district_admin",
    "system": "system",
}


async def _access(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, action: str
) -> tuple[Reader, str, RowMapping]:
    """The reader kind, the relation's reason and the learner's profile row (district-scoped)."""
    decision = await require_access(session, principal, action, "learner", learner_id)
    district = principal.require_district()
    row = await profiles_repo.get_profile(session, learner_id, district)
    if row is None:
        raise NotFound("No such learner in your district.", slug="learner-not-found")
    return reader_for(decision.reason), decision.reason, row


def _require_staff(reader: Reader, what: str) -> None:
    if reader not in {"teacher", "admin"}:
        raise Forbidden(f"Only the learner's teachers and admins {what}.", slug="staff-only")


async def _goal(session: AsyncSession, learner_id: uuid.UUID, goal_id: uuid.UUID) -> RowMapping:
    goal = await profiles_repo.get_goal(session, learner_id, goal_id)
    if goal is None:
        raise NotFound("No such goal for this learner.", slug="goal-not-found")
    return goal


def _comment_out(row: Mapping[Any, Any]) -> CommentOut:
    return CommentOut(
        id=row["id"],
        author=row["author"],
        role=row["author_role"],
        body=row["body"],
        created_at=row["created_at"],
    )


# goal comments and co-sign ------------------------------------------------------------------


async def list_goal_comments(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    policy: Policy,
) -> list[CommentOut]:
    """Whoever sees the learner's goals sees their comments (guardians: when the learner shares
    goals with guardians)."""
    reader, _, row = await _access(session, principal, learner_id, "read")
    shown = visible_parts(
        reader,
        row["restrictions"],
        row["sharing"],
        learner_may_hide_from_teachers=policy.learner_may_hide_from_teachers,
    )
    if "goals" not in shown:
        raise Forbidden("The learner does not share their goals with you.", slug="not-shared")
    await _goal(session, learner_id, goal_id)
    rows = await repo.list_comments(session, row["district_id"], goal_id)
    return [_comment_out(r) for r in rows]


async def add_goal_comment(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    body: CommentIn,
) -> CommentOut:
    reader, reason, row = await _access(session, principal, learner_id, "write")
    _require_staff(reader, "comment on a goal")
    await _goal(session, learner_id, goal_id)
    values = {
        "id": new_id(),
        "district_id": row["district_id"],
        "goal_id": goal_id,
        "learner_id": learner_id,
        "author": principal.subject,
        "author_role": _ROLE_OF_REASON.get(reason, reason),
        "body": body.body,
        "created_at": utcnow(),
    }
    await repo.insert_comment(session, values)
    return _comment_out(values)


async def co_sign_goal(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
    if_match: str | None,
) -> GoalOut:
    """A teacher or admin vouches for the goal as it is (``If-Match``: the version they read)."""
    reader, _, row = await _access(session, principal, learner_id, "write")
    _require_staff(reader, "co-sign a goal")
    goal = await _goal(session, learner_id, goal_id)
    require_match(if_match, etag_of("goal", goal["version"]))
    now = utcnow()
    before = {"co_signed_by": goal["co_signed_by"]}
    after = {"co_signed_by": principal.subject}
    if not await profiles_repo.update_goal_if_version(
        session,
        goal_id,
        goal["version"],
        {"co_signed_by": principal.subject, "co_signed_at": now, "updated_at": now},
    ):
        raise PreconditionFailed(
            "The goal changed meanwhile; read it again.", slug="precondition-failed"
        )
    await record_change(
        session, principal, row, "goal", goal_id, (["co_signed_by"], before, after), row["version"]
    )
    return goal_out(await _goal(session, learner_id, goal_id))


# reflections ------------------------------------------------------------------------------------


def _reflection_out(row: Mapping[Any, Any], replies: list[CommentOut]) -> ReflectionOut:
    return ReflectionOut(
        id=row["id"],
        learner_id=row["learner_id"],
        target_kind=row["target_kind"],
        step_id=row["step_id"],
        skill_code=row["skill_code"],
        goal_id=row["goal_id"],
        confidence=row["confidence"],
        journal=row["journal"],
        created_at=row["created_at"],
        replies=replies,
    )


async def _readable(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, policy: Policy
) -> RowMapping:
    reader, _, row = await _access(session, principal, learner_id, "read")
    if not may_read_reflections(
        reader,
        row["sharing"],
        learner_may_hide_from_teachers=policy.learner_may_hide_from_teachers,
    ):
        raise Forbidden("The learner does not share their reflections with you.", slug="not-shared")
    return row


async def add_reflection(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, body: ReflectionIn
) -> ReflectionOut:
    """Only the learner reflects, on their own step, skill or goal."""
    reader, _, row = await _access(session, principal, learner_id, "write")
    if reader != "student":
        raise Forbidden("Only the learner writes their reflections.", slug="learner-only")
    kind = target_kind_of(step_id=body.step_id, skill_code=body.skill_code, goal_id=body.goal_id)
    assert kind is not None  # the body's validator requires exactly one target
    if body.goal_id is not None and (
        await profiles_repo.get_goal(session, learner_id, body.goal_id) is None
    ):
        # Another learner's goal and a goal that does not exist answer alike: nothing is told
        # about goals that are not the learner's.
        raise UnprocessableContent(
            "goal_id is not one of your goals.",
            slug="reflection-target-not-own",
            errors=[
                {"field": "body.goal_id", "message": "not one of your goals", "type": "not_own"}
            ],
        )
    values = {
        "id": new_id(),
        "district_id": row["district_id"],
        "learner_id": learner_id,
        "target_kind": kind,
        "step_id": body.step_id,
        "skill_code": body.skill_code,
        "goal_id": body.goal_id,
        "confidence": body.confidence,
        "journal": body.journal,
        "created_at": utcnow(),
    }
    await repo.insert_reflection(session, values)
    # Thin: the target and the rating's id, never the journal (nor the rating: a webhook
    # consumer that needs it reads the reflection with the learner's consent).
    target: dict[str, str | None] = (
        {"step_id": str(body.step_id)}
        if kind == "step"
        else {"skill_code": body.skill_code}
        if kind == "skill"
        else {"goal_id": str(body.goal_id)}
    )
    await emit(
        session,
        "reflection.added",
        row["district_id"],
        f"learner/{learner_id}",
        {
            "reflection_id": str(values["id"]),
            "learner_id": str(learner_id),
            "target_kind": kind,
            **target,
        },
    )
    return _reflection_out(values, [])


async def list_reflections(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    policy: Policy,
    *,
    cursor: str | None,
    limit: int,
    skill_code: str | None,
    goal_id: uuid.UUID | None,
    step_id: uuid.UUID | None,
) -> Page[ReflectionOut]:
    row = await _readable(session, principal, learner_id, policy)
    rows = await repo.list_reflections(
        session,
        row["district_id"],
        learner_id,
        after=decode_id_cursor(cursor),
        limit=limit,
        skill_code=skill_code,
        goal_id=goal_id,
        step_id=step_id,
    )
    shown = rows[:limit]
    threads: dict[uuid.UUID, list[CommentOut]] = {r["id"]: [] for r in shown}
    for reply in await repo.replies_of(session, row["district_id"], list(threads)):
        threads[reply["reflection_id"]].append(_comment_out(reply))
    return page_of(rows, limit, lambda r: [r["id"]], lambda r: _reflection_out(r, threads[r["id"]]))


async def get_reflection(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    reflection_id: uuid.UUID,
    policy: Policy,
) -> ReflectionOut:
    row = await _readable(session, principal, learner_id, policy)
    found = await repo.get_reflection(session, row["district_id"], learner_id, reflection_id)
    if found is None:
        raise NotFound("No such reflection for this learner.", slug="reflection-not-found")
    replies = await repo.replies_of(session, row["district_id"], [reflection_id])
    return _reflection_out(found, [_comment_out(r) for r in replies])


async def add_reply(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    reflection_id: uuid.UUID,
    body: CommentIn,
    policy: Policy,
) -> CommentOut:
    reader, reason, row = await _access(session, principal, learner_id, "write")
    _require_staff(reader, "reply to a reflection")
    # A teacher the learner hid their reflections from (where the district allows) cannot
    # reply to what they may not read.
    if not may_read_reflections(
        reader,
        row["sharing"],
        learner_may_hide_from_teachers=policy.learner_may_hide_from_teachers,
    ):
        raise Forbidden("The learner does not share their reflections with you.", slug="not-shared")
    if await repo.get_reflection(session, row["district_id"], learner_id, reflection_id) is None:
        raise NotFound("No such reflection for this learner.", slug="reflection-not-found")
    values = {
        "id": new_id(),
        "district_id": row["district_id"],
        "reflection_id": reflection_id,
        "learner_id": learner_id,
        "author": principal.subject,
        "author_role": _ROLE_OF_REASON.get(reason, reason),
        "body": body.body,
        "created_at": utcnow(),
    }
    await repo.insert_reply(session, values)
    return _comment_out(values)


async def latest_confidences(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, policy: Policy
) -> ConfidenceOut:
    """Per skill, the learner's latest self-rating: what the gateway's overview sets beside the
    model's mastery (the calibration signal). Read as the reflections are."""
    row = await _readable(session, principal, learner_id, policy)
    ratings = latest_confidence(await repo.skill_ratings(session, row["district_id"], learner_id))
    return ConfidenceOut(
        learner_id=learner_id,
        skills=[
            SkillConfidenceOut(
                skill_code=r.skill_code,
                confidence=r.confidence,
                reflection_id=uuid.UUID(str(r.reflection_id)),
                rated_at=r.rated_at,
            )
            for r in ratings
        ],
    )
