"""Evidence -> mastery: the BKT update of every skill a scored response touches, its history row,
and ``mastery.changed`` when a skill's level or mastered state moves (both directions)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.bkt import DEFAULT_PARAMS, BktParams, decay
from pathwise_assessment.models import MasteryHistory, SkillParams
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.events import learner_subject
from pathwise_shared.db.outbox import publish, publish_many
from pathwise_shared.events import EventEnvelope, new_event
from pathwise_shared.ids import new_id

__all__ = [
    "DECAY_HALF_LIFE_DAYS",
    "bkt_params",
    "change_event",
    "change_of",
    "emit_change",
    "history_row",
    "history_values",
    "record_evidence",
]

# Without practice, the part of P(known) above the prior halves every 180 days (a school term and
# a summer): long enough that a week off changes nothing, short enough that stale mastery fades.
DECAY_HALF_LIFE_DAYS = 180.0


def bkt_params(row: SkillParams | None) -> tuple[BktParams, float]:
    if row is None:
        return DEFAULT_PARAMS, rule.DEFAULT_THRESHOLD
    return BktParams(row.prior, row.learn, row.guess, row.slip, row.forget), row.threshold


async def record_evidence(
    session: AsyncSession,
    *,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    response_id: uuid.UUID,
    skill_codes: Sequence[str],
    difficulty: float,
    correct: bool,
    now: datetime,
    first: Sequence[EventEnvelope] = (),
) -> list[dict[str, Any]]:
    """Update every skill of the item with the response; returns the changes (for the caller).

    Publishes ``first`` (the caller's events about the response) and then a ``mastery.changed``
    per moved skill, in one counter bump and one outbox insert.

    Concurrency: the learner's state rows of these skills are created if missing and locked
    (``repo.lock_state_rows``, one statement) before they are read, so answers of one learner on
    one skill apply one after another, each on the result of the one before (docs/assessment.md,
    "Concurrency"). What is read before the lock (parameters, medians: cached) is not changed by
    answers.
    """
    codes = list(dict.fromkeys(skill_codes))
    params = await repo.model_params(session, district_id, codes)
    medians = await items_repo.median_difficulties(session, district_id, codes)
    states = await repo.lock_state_rows(
        session, district_id, learner_id, {code: params[code][0].prior for code in codes}, now
    )
    history: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for code in codes:
        bkt, threshold = params[code]
        _, p_known, mastered, _, evidence_count, hard_correct_count, updated_at = states[code]
        # A row with no evidence was just created by the lock: the learner starts at the prior.
        fresh = evidence_count == 0
        before = (
            rule.MasteryState(bkt.prior)
            if fresh
            else rule.MasteryState(p_known, mastered, evidence_count, hard_correct_count)
        )
        start = before
        if not fresh:
            days = (now - updated_at).total_seconds() / 86400.0
            decayed = decay(before.p_known, bkt.prior, days, DECAY_HALF_LIFE_DAYS)
            if before.p_known - decayed > 1e-3:
                start = rule.reassess(
                    rule.MasteryState(
                        decayed, before.mastered, before.evidence_count, before.hard_correct_count
                    ),
                    threshold,
                )
                history.append(
                    history_values(
                        district_id, learner_id, code, None, "decay", None, None,
                        before.p_known, start, now,
                    )
                )  # fmt: skip
        hard = rule.is_hard(difficulty, medians[code])
        after = rule.apply_response(
            start, correct=correct, hard=hard, params=bkt, threshold=threshold
        )
        history.append(
            history_values(
                district_id, learner_id, code, response_id, "response", correct, hard,
                start.p_known, after, now,
            )
        )  # fmt: skip
        updates.append(
            {
                "k_district_id": district_id,
                "k_learner_id": learner_id,
                "k_skill_code": code,
                "p_known": after.p_known,
                "mastered": after.mastered,
                "level": after.level,
                "evidence_count": after.evidence_count,
                "hard_correct_count": after.hard_correct_count,
                "updated_at": now,
            }
        )
        if after.mastered != before.mastered or after.level != before.level:
            changes.append(change_of(learner_id, code, before, after, "response"))
    await repo.update_states(session, updates)
    await repo.insert_history(session, history)
    events = list(first)
    for change in changes:
        events.append(await change_event(session, district_id, change))
    if events:
        await publish_many(session, events)
    return changes


def change_of(
    learner_id: uuid.UUID,
    code: str,
    before: rule.MasteryState,
    after: rule.MasteryState,
    reason: str,
) -> dict[str, Any]:
    return {
        "learner_id": str(learner_id),
        "skill_code": code,
        "reason": reason,
        "p_known": round(after.p_known, 6),
        "mastered": after.mastered,
        "previous_mastered": before.mastered,
        "level": after.level,
        "previous_level": before.level,
    }


async def emit_change(
    session: AsyncSession, district_id: uuid.UUID, change: dict[str, Any]
) -> None:
    """Publish ``mastery.changed`` (``change_event``)."""
    await publish(session, await change_event(session, district_id, change))


async def change_event(
    session: AsyncSession, district_id: uuid.UUID, change: dict[str, Any]
) -> EventEnvelope:
    """``mastery.changed`` with its evidence: the latest responses that moved P(known)."""
    learner_id = uuid.UUID(change["learner_id"])
    evidence = await repo.recent_evidence(session, district_id, learner_id, change["skill_code"])
    change["evidence"] = [
        {
            "response_id": str(h.response_id),
            "correct": h.correct,
            "hard": h.hard,
            "p_before": round(h.p_before, 6),
            "p_after": round(h.p_after, 6),
        }
        for h in evidence
    ]
    return new_event(
        "mastery.changed",
        district_id=district_id,
        subject=learner_subject(learner_id),
        data=change,
    )


def history_values(
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    code: str,
    response_id: uuid.UUID | None,
    reason: str,
    correct: bool | None,
    hard: bool | None,
    p_before: float,
    after: rule.MasteryState,
    now: datetime,
) -> dict[str, Any]:
    """A history row as statement values (the answer path inserts it without the ORM)."""
    return {
        "id": new_id(),
        "district_id": district_id,
        "learner_id": learner_id,
        "skill_code": code,
        "response_id": response_id,
        "reason": reason,
        "correct": correct,
        "hard": hard,
        "p_before": p_before,
        "p_after": after.p_known,
        "mastered": after.mastered,
        "level": after.level,
        "created_at": now,
    }


def history_row(
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    code: str,
    response_id: uuid.UUID | None,
    reason: str,
    correct: bool | None,
    hard: bool | None,
    p_before: float,
    after: rule.MasteryState,
    now: datetime,
) -> MasteryHistory:
    return MasteryHistory(
        id=new_id(),
        district_id=district_id,
        learner_id=learner_id,
        skill_code=code,
        response_id=response_id,
        reason=reason,
        correct=correct,
        hard=hard,
        p_before=p_before,
        p_after=after.p_known,
        mastered=after.mastered,
        level=after.level,
        created_at=now,
    )
