"""Mastery lost to time: a periodic sweep over mastered skills.

A response applies decay itself (``record_evidence``), but a learner who stops practising sends no
response, so without the sweep an idle learner's stored mastery would stay as it was (reads show
it decayed, but nothing announces the loss). The sweep applies the rule the answer path and the
reads apply (``domain.mastery.current_state``: the part of P(known) above the skill's prior
halves every ``DECAY_HALF_LIFE_DAYS``, then the loss rule), and for every state that loses
mastery writes the new state, a ``decay`` history row and ``mastery.changed``
(``previous_mastered: true``) in the caller's transaction.

States that fade but stay mastered are left as they are: decay composes over time
(``0.5**(a/h) * 0.5**(b/h) == 0.5**((a+b)/h)``), so applying it later from ``updated_at`` gives the
same P(known), and the sweep writes nothing it does not have to.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.mastery import (
    DECAY_HALF_LIFE_DAYS,
    change_of,
    emit_change,
    history_row,
    params_model,
)
from pathwise_shared.db.engine import Database
from pathwise_shared.db.schedule import run_every
from pathwise_shared.timeutil import utcnow

__all__ = ["run_decay_sweeps", "sweep_decay"]


async def sweep_decay(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    half_life_days: float = DECAY_HALF_LIFE_DAYS,
    batch_size: int = 500,
) -> int:
    """One pass over every mastered state of every district; returns how many lost mastery.
    The caller's unit of work commits it (everything of the pass in one transaction)."""
    now = now or utcnow()
    lost = 0
    after = None
    while True:
        rows = await repo.mastered_states(session, after, batch_size)
        if not rows:
            return lost
        params = await repo.params_of_pairs(session, [(r.district_id, r.skill_code) for r in rows])
        history = []
        changes = []
        for row in rows:
            model = params_model(params.get((row.district_id, row.skill_code)), half_life_days)
            before = rule.MasteryState(
                row.p_known,
                row.mastered,
                evidence_count=row.evidence_count,
                evidence_weight=row.evidence_weight,
            )
            after_decay = rule.current_state(before, model, since=row.updated_at, now=now)
            if after_decay.mastered:
                continue
            row.p_known, row.mastered, row.level = (after_decay.p_known, False, after_decay.level)
            row.updated_at = now
            history.append(
                history_row(
                    row.district_id,
                    row.learner_id,
                    row.skill_code,
                    None,
                    "decay",
                    None,
                    None,
                    before.p_known,
                    after_decay,
                    now,
                )
            )
            changes.append(
                (
                    row.district_id,
                    change_of(row.learner_id, row.skill_code, before, after_decay, "decay"),
                )
            )
        await repo.add_history(session, history)
        for district_id, change in changes:
            await emit_change(session, district_id, change)
        lost += len(changes)
        if len(rows) < batch_size:
            return lost
        last = rows[-1]
        after = (last.district_id, last.learner_id, last.skill_code)


async def run_decay_sweeps(
    db: Database, interval_seconds: float, rounds: int | None = None
) -> None:
    """The schedule: a sweep every ``interval_seconds`` (``rounds`` bounds it, for tests). The
    whole pass is one unit of work: the states, history rows and events it writes commit together
    or not at all (the events come with the session's outbox)."""
    await run_every(
        db,
        interval_seconds,
        sweep_decay,
        name="decay sweep",
        done_message="%d learner skills lost mastery",
        rounds=rounds,
    )
