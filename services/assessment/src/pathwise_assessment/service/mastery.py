"""Evidence -> mastery: the BKT update of every skill a scored response touches, its history row,
and ``mastery.changed`` when a skill's level or mastered state moves (both directions)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.bkt import DEFAULT_PARAMS, BktParams, decay
from pathwise_assessment.models import MasteryHistory, SkillParams
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.events import learner_subject
from pathwise_shared.db.outbox import publish
from pathwise_shared.events import new_event
from pathwise_shared.ids import new_id

__all__ = [
    "DECAY_HALF_LIFE_DAYS",
    "bkt_params",
    "change_of",
    "emit_change",
    "history_row",
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
    skill_codes: list[str],
    difficulty: float,
    correct: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    """Update every skill of the item with the response; returns the changes (for the caller).

    Concurrency: the learner's state rows of these skills are created if missing and locked
    (``repo.lock_states``) before they are read, so answers of one learner on one skill apply
    one after another, each on the result of the one before (docs/assessment.md, "Concurrency").
    Everything read before the lock (parameters, difficulties) is not changed by answers.
    """
    params = await repo.params_for(session, district_id, skill_codes)
    difficulties = await items_repo.difficulties_by_skill(session, district_id, skill_codes)
    prior = {code: bkt_params(params.get(code))[0].prior for code in skill_codes}
    states = await repo.lock_states(
        session, district_id, learner_id, skill_codes, prior=prior, now=now
    )
    history: list[MasteryHistory] = []
    changes: list[dict[str, Any]] = []
    for code in dict.fromkeys(skill_codes):
        bkt, threshold = bkt_params(params.get(code))
        row = states[code]
        # A row with no evidence was just created by the lock: the learner starts at the prior.
        fresh = row.evidence_count == 0
        before = (
            rule.MasteryState(bkt.prior)
            if fresh
            else rule.MasteryState(
                row.p_known, row.mastered, row.evidence_count, row.hard_correct_count
            )
        )
        start = before
        if not fresh:
            days = (now - row.updated_at).total_seconds() / 86400.0
            decayed = decay(before.p_known, bkt.prior, days, DECAY_HALF_LIFE_DAYS)
            if before.p_known - decayed > 1e-3:
                start = rule.reassess(
                    rule.MasteryState(
                        decayed, before.mastered, before.evidence_count, before.hard_correct_count
                    ),
                    threshold,
                )
                history.append(
                    history_row(
                        district_id,
                        learner_id,
                        code,
                        None,
                        "decay",
                        None,
                        None,
                        before.p_known,
                        start,
                        now,
                    )
                )
        hard = rule.is_hard(difficulty, rule.median(difficulties.get(code, [])))
        after = rule.apply_response(
            start, correct=correct, hard=hard, params=bkt, threshold=threshold
        )
        history.append(
            history_row(
                district_id,
                learner_id,
                code,
                response_id,
                "response",
                correct,
                hard,
                start.p_known,
                after,
                now,
            )
        )
        row.p_known = after.p_known
        row.mastered = after.mastered
        row.level = after.level
        row.evidence_count = after.evidence_count
        row.hard_correct_count = after.hard_correct_count
        row.updated_at = now
        if after.mastered != before.mastered or after.level != before.level:
            changes.append(change_of(learner_id, code, before, after, "response"))
    await repo.add_history(session, history)
    for change in changes:
        await emit_change(session, district_id, change)
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
    await publish(
        session,
        new_event(
            "mastery.changed",
            district_id=district_id,
            subject=learner_subject(learner_id),
            data=change,
        ),
    )


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
