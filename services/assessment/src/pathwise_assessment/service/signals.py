"""Evidence signals of many learners for pathways' early warnings (``POST /internal/signals``).

Three statements whatever the number of learners: the latest history rows of each, their answer
totals, the parameters of the skills met. Pathways turns the numbers into flags."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.bkt import DEFAULT_PARAMS, p_correct
from pathwise_assessment.domain.signals import Answer, LearnerEvidence, summarize
from pathwise_assessment.repository import signals as repo
from pathwise_shared.auth import Principal

__all__ = ["HISTORY_ROWS", "RECENT_ANSWERS", "learner_signals"]

# Rows read per learner: enough for a stall of several dozen answers and a few days of practice.
HISTORY_ROWS = 200
# The window the error rate is judged on.
RECENT_ANSWERS = 20


async def learner_signals(
    session: AsyncSession,
    principal: Principal,
    learner_ids: Sequence[uuid.UUID],
    *,
    window: int = RECENT_ANSWERS,
) -> list[LearnerEvidence]:
    district = None if principal.is_system else principal.require_district()
    ids = list(dict.fromkeys(learner_ids))
    rows = await repo.latest_answers(session, district, ids, HISTORY_ROWS)
    totals = await repo.answer_totals(session, district, ids)
    params = await repo.params_of(session, {(r.district_id, r.skill_code) for r in rows})
    by_learner: dict[uuid.UUID, list[Answer]] = {}
    district_of: dict[uuid.UUID, uuid.UUID] = {}
    for r in rows:
        district_of[r.learner_id] = r.district_id
        by_learner.setdefault(r.learner_id, []).append(
            Answer(
                r.response_id,
                r.skill_code,
                bool(r.correct),
                r.p_before,
                r.p_after,
                r.mastered,
                r.created_at,
            )
        )
    out = []
    for lid in ids:
        home = district_of.get(lid)

        def chance(code: str, p_known: float, home: uuid.UUID | None = home) -> float:
            row = params.get((home, code)) if home is not None else None
            if row is None:
                return p_correct(p_known, DEFAULT_PARAMS)
            return p_known * (1.0 - row.slip) + (1.0 - p_known) * row.guess

        total, first = totals.get(lid, (0, None))
        out.append(
            summarize(
                lid,
                by_learner.get(lid, []),
                chance,
                window=window,
                answers_total=total,
                first_answer_at=first,
            )
        )
    return out
