"""Evidence -> mastery: the model's update (``domain.mastery``) of every skill a scored response
touches, or a finished check's skipped items touch, its history rows, and ``mastery.changed``
when a skill's level or mastered state moves (both directions)."""

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.bkt import BktParams
from pathwise_assessment.domain.rows import VersionRow
from pathwise_assessment.domain.scoring import guess_chance
from pathwise_assessment.models import ItemVersion, MasteryHistory, SkillParams
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.events import learner_subject
from pathwise_shared.db.outbox import publish, publish_many
from pathwise_shared.events import EventEnvelope, new_event
from pathwise_shared.ids import new_id

__all__ = [
    "DECAY_HALF_LIFE_DAYS",
    "apply_skipped_items",
    "change_event",
    "change_of",
    "emit_change",
    "history_row",
    "history_values",
    "item_evidence",
    "params_model",
    "record_evidence",
    "skill_model_of",
]

# Without practice, the part of P(known) above the prior halves every 180 days (the model's
# default: a school term and a summer).
DECAY_HALF_LIFE_DAYS = rule.DEFAULT_HALF_LIFE_DAYS
# A "decay" history row is written when time took more than this off P(known) before an answer.
_DECAY_NOTED = 1e-3


def skill_model_of(
    params: BktParams | None,
    threshold: float | None,
    half_life_days: float = DECAY_HALF_LIFE_DAYS,
) -> rule.SkillModel:
    """A skill's model from its stored parameters and threshold (None: the defaults)."""
    return rule.skill_model(
        params, rule.DEFAULT_THRESHOLD if threshold is None else threshold, half_life_days
    )


def params_model(row: SkillParams | None, half_life_days: float) -> rule.SkillModel:
    if row is None:
        return skill_model_of(None, None, half_life_days)
    bkt = BktParams(row.prior, row.learn, row.guess, row.slip, row.forget)
    return skill_model_of(bkt, row.threshold, half_life_days)


def item_evidence(version: VersionRow | ItemVersion) -> rule.ItemEvidence:
    """What the model needs of a pinned item version (its guess floor from the version's type
    and options: ``domain.scoring.guess_chance``); the answer path's cached row or the signals
    read's stored one."""
    return rule.ItemEvidence(
        tuple(version.skill_codes),
        version.difficulty,
        version.discrimination,
        str(version.item_id),
        guess_chance(version.spec),
    )


async def _models(
    session: AsyncSession, district_id: uuid.UUID, codes: Sequence[str]
) -> dict[str, rule.SkillModel]:
    params = await repo.model_params(session, district_id, codes)
    return {code: rule.skill_model(bkt, threshold) for code, (bkt, threshold) in params.items()}


async def _locked_states(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    models: Mapping[str, rule.SkillModel],
    now: datetime,
    history: list[dict[str, Any]],
) -> tuple[dict[str, rule.MasteryState], dict[str, rule.MasteryState]]:
    """Lock (creating if missing) the learner's states of these skills; returns (stored, now):
    the states as stored and as of ``now`` (decayed, ``domain.mastery.current_state``). A decay
    that moved P(known) noticeably gets its history row."""
    rows = await repo.lock_state_rows(
        session, district_id, learner_id, {code: m.prior for code, m in models.items()}, now
    )
    stored: dict[str, rule.MasteryState] = {}
    current: dict[str, rule.MasteryState] = {}
    for code, model in models.items():
        _, p_known, mastered, _, evidence_count, evidence_weight, updated_at = rows[code]
        # A row with no evidence was just created by the lock (or holds only the prior).
        stored[code] = (
            rule.MasteryState(model.prior)
            if evidence_count == 0
            else rule.MasteryState(
                p_known, mastered, evidence_count=evidence_count, evidence_weight=evidence_weight
            )
        )
        current[code] = rule.current_state(stored[code], model, since=updated_at, now=now)
        if stored[code].p_known - current[code].p_known > _DECAY_NOTED:
            history.append(
                history_values(
                    district_id, learner_id, code, None, "decay", None, None,
                    stored[code].p_known, current[code], now,
                )
            )  # fmt: skip
    return stored, current


async def _store(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    stored: Mapping[str, rule.MasteryState],
    after: Mapping[str, rule.MasteryState],
    reason: str,
    now: datetime,
    history: list[dict[str, Any]],
    first: Sequence[EventEnvelope],
) -> list[dict[str, Any]]:
    """Write the new states (locked by ``_locked_states``), the history rows, ``first`` and a
    ``mastery.changed`` per skill whose level or mastered state moved from the stored one."""
    updates = [
        {
            "k_district_id": district_id,
            "k_learner_id": learner_id,
            "k_skill_code": code,
            "p_known": state.p_known,
            "mastered": state.mastered,
            "level": state.level,
            "evidence_count": state.evidence_count,
            "evidence_weight": state.evidence_weight,
            "updated_at": now,
        }
        for code, state in after.items()
    ]
    changes = [
        change_of(learner_id, code, stored[code], state, reason)
        for code, state in after.items()
        if state.mastered != stored[code].mastered or state.level != stored[code].level
    ]
    await repo.update_states(session, updates)
    await repo.insert_history(session, history)
    events = list(first)
    for change in changes:
        events.append(await change_event(session, district_id, change))
    if events:
        await publish_many(session, events)
    return changes


async def record_evidence(
    session: AsyncSession,
    *,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    response_id: uuid.UUID,
    item: rule.ItemEvidence,
    correct: bool,
    now: datetime,
    first: Sequence[EventEnvelope] = (),
    reason: str = "response",
) -> list[dict[str, Any]]:
    """Update every skill of the item with the response (``domain.mastery.apply_item_response``:
    the item's own guess and slip, joint credit and blame); returns the changes.

    Publishes ``first`` (the caller's events about the response) and then a ``mastery.changed``
    per moved skill, in one counter bump and one outbox insert.

    Concurrency: the learner's state rows of these skills are created if missing and locked
    (``repo.lock_state_rows``, one statement) before they are read, so answers of one learner on
    one skill apply one after another, each on the result of the one before (docs/assessment.md,
    "Concurrency"). What is read before the lock (parameters: cached) is not changed by answers.

    ``reason`` names the kind of evidence in the history rows and ``mastery.changed``:
    ``response`` (an answer) or ``evidence`` (work scored outside an attempt, ``response_id``
    then being the caller's evidence id; ``service.evidence``).
    """
    models = await _models(session, district_id, list(dict.fromkeys(item.skill_codes)))
    history: list[dict[str, Any]] = []
    stored, current = await _locked_states(session, district_id, learner_id, models, now, history)
    after = rule.apply_item_response(current, item, correct, models)
    hard = rule.is_informative(item, models)
    for code, state in after.items():
        history.append(
            history_values(
                district_id, learner_id, code, response_id, reason, correct, hard,
                current[code].p_known, state, now,
            )
        )  # fmt: skip
    return await _store(
        session, district_id, learner_id, stored, after, reason, now, history, first
    )


async def apply_skipped_items(
    session: AsyncSession,
    *,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    form: Sequence[rule.ItemEvidence],
    answered_item_ids: Collection[str],
    now: datetime,
) -> list[dict[str, Any]]:
    """At the finish of a fixed-form check: every item left unanswered counts as a wrong answer
    (``domain.mastery.apply_skipped``), so skipping the hard items is not a way to mastery.
    Locks the states of every skill of a skipped item (exactly what the update reads and writes,
    a multi-skill item's other skills included) with the answer path's statement, in sorted
    order; writes states, ``skipped`` history rows and ``mastery.changed``. Returns the changes."""
    skipped = rule.unanswered_items(form, answered_item_ids)
    if not skipped:
        return []
    codes = sorted({code for item in skipped for code in item.skill_codes})
    models = await _models(session, district_id, codes)
    history: list[dict[str, Any]] = []
    stored, current = await _locked_states(session, district_id, learner_id, models, now, history)
    after = rule.apply_skipped(current, form, answered_item_ids, models)
    for code, state in after.items():
        history.append(
            history_values(
                district_id, learner_id, code, None, "skipped", False, None,
                current[code].p_known, state, now,
            )
        )  # fmt: skip
    return await _store(
        session, district_id, learner_id, stored, after, "skipped", now, history, ()
    )


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
    """The same row as an ORM object (for the paths that add it to the session)."""
    return MasteryHistory(
        **history_values(
            district_id, learner_id, code, response_id, reason, correct, hard, p_before, after, now
        )
    )
