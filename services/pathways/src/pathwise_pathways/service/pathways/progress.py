"""What moves a pathway forward: the learner's choice of activity, and ``mastery.changed``
events (advance to the next steps, or reopen a step whose mastery was lost)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.repository import pathways as repo
from pathwise_pathways.service.consents import require_consent
from pathwise_pathways.service.graph_cache import GraphCache
from pathwise_pathways.service.pathways.goal_sync import push_goal_progress
from pathwise_pathways.service.pathways.history import (
    OPEN,
    find_step,
    pathway_subject,
    record_change,
)
from pathwise_pathways.service.pathways.read import PathwayView, require_pathway, view
from pathwise_pathways.service.pathways.replan import replan
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.db.outbox import publish
from pathwise_shared.events import EventEnvelope, new_event
from pathwise_shared.problems import Conflict, Forbidden, UnprocessableContent

__all__ = ["apply_mastery_event", "choose", "receive_event"]


async def choose(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    activity_id: uuid.UUID,
    consent_policy: str = "required",
) -> PathwayView:
    """The learner picks an activity from the step's choice board (an off-site one only with a
    guardian's consent when it needs it: 409 ``guardian-consent-required``)."""
    pathway = await require_pathway(session, district_id, learner_id, lock=True)
    steps = await repo.steps_of(session, pathway.id)
    step = find_step(steps, step_id)
    if step.status not in OPEN:
        raise Conflict(f"The step is {step.status}; choose on an open step.", slug="step-closed")
    if step.choice_locked and not principal.has_role("teacher", "school_admin", "district_admin"):
        raise Conflict("A teacher has locked this step's activity.", slug="choice-locked")
    if str(activity_id) not in {e["activity_id"] for e in step.board}:
        raise UnprocessableContent(
            "That activity is not on this step's choice board.", slug="activity-not-on-board"
        )
    await require_consent(session, district_id, learner_id, activity_id, consent_policy)
    step.chosen_activity_id = activity_id
    await record_change(
        session, pathway, steps, principal, "chose", f"chose activity {activity_id}"
    )
    return await view(session, pathway)


async def receive_event(
    session: AsyncSession,
    cache: GraphCache,
    principal: Principal,
    envelope: EventEnvelope,
    upstream: Upstream | None = None,
) -> str:
    """An event from the gateway's fan-out, once: what became of it (``duplicate`` for a
    redelivery, ``ignored`` for a type we do not act on, else :func:`apply_mastery_event`'s)."""
    if not principal.is_system:
        raise Forbidden("Only the system delivers events.", slug="system-only")
    if envelope.district_id is None:
        raise UnprocessableContent("The event names no district.", slug="district-required")
    if not await repo.record_event(session, envelope.id, envelope.type):
        return "duplicate"
    if envelope.type != "mastery.changed":
        return "ignored"
    acting = Principal(
        subject="system:pathways-advance", kind="system", district_id=envelope.district_id
    )
    outcome = await apply_mastery_event(
        session, cache, acting, envelope.district_id, envelope.data, envelope.occurred_at
    )
    if upstream is not None and outcome in {"advanced", "reopened"}:
        learner_id = uuid.UUID(str(envelope.data["learner_id"]))
        pathway = await repo.get_pathway(session, envelope.district_id, learner_id)
        if pathway is not None:
            await push_goal_progress(session, upstream, envelope.district_id, pathway)
    return outcome


async def apply_mastery_event(
    session: AsyncSession,
    cache: GraphCache,
    principal: Principal,
    district_id: uuid.UUID,
    data: dict[str, Any],
    occurred_at: datetime | None = None,
) -> str:
    """mastery.changed → mark mastered / reopen, open the next steps, replan; what happened.

    Delivery is at least once and in no particular order (retries, several dispatch workers):
    an event older than the last one applied for the same skill is stale and changes nothing,
    so a late "not mastered yet" can never undo the "mastered" that followed it.
    """
    try:
        learner_id = uuid.UUID(str(data["learner_id"]))
        code = str(data["skill_code"])
        mastered = bool(data["mastered"])
    except (KeyError, ValueError) as exc:
        raise UnprocessableContent(
            "mastery.changed needs learner_id, skill_code and mastered.", slug="invalid-event"
        ) from exc
    pathway = await repo.get_pathway(session, district_id, learner_id, lock=True)
    if pathway is None:
        return "no pathway"
    codes = set(pathway.mastered_codes)
    profile = dict(pathway.learner_profile or {})
    seen_at = dict(profile.get("mastery_event_at", {}))
    if occurred_at is not None:
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        last = seen_at.get(code)
        if last is not None and datetime.fromisoformat(last) > occurred_at:
            return "stale"
        seen_at[code] = occurred_at.isoformat()
        profile["mastery_event_at"] = seen_at
    assumed = set(profile.get("assumed_mastered", []))
    p_known = dict(profile.get("p_known", {}))
    if "p_known" in data:
        p_known[code] = float(data["p_known"])
    was = code in codes or code in assumed
    if mastered:
        codes.add(code)
    else:
        codes.discard(code)
        assumed.discard(code)
    profile["assumed_mastered"] = sorted(assumed)
    profile["p_known"] = p_known
    pathway.mastered_codes = sorted(codes)
    pathway.learner_profile = profile
    if was == mastered:
        await session.flush()
        return "unchanged"
    graph = await cache.get(session, district_id)
    existing = await repo.steps_of(session, pathway.id)
    was_step = any(s.skill_code == code for s in existing)
    steps, opened, reopened = await replan(session, graph, pathway, existing)
    verb = "mastered" if mastered else "lost"
    await record_change(
        session,
        pathway,
        steps,
        principal,
        "advanced" if mastered else "reopened",
        f"mastery.changed: {code} {verb} (p_known {p_known.get(code, 0.0):.2f})",
    )
    base = {"learner_id": str(learner_id), "pathway_id": str(pathway.id), "skill_code": code}
    if mastered and was_step:
        await publish(
            session,
            new_event(
                "pathway.step_mastered",
                district_id=district_id,
                subject=pathway_subject(learner_id),
                data={**base, "opened": opened, "version": pathway.version},
            ),
        )
    for reopened_code in reopened:
        await publish(
            session,
            new_event(
                "pathway.step_reopened",
                district_id=district_id,
                subject=pathway_subject(learner_id),
                data={**base, "skill_code": reopened_code, "version": pathway.version},
            ),
        )
    return "advanced" if mastered else "reopened"
