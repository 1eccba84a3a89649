"""Evidence signals of many learners for pathways' early warnings (``POST /internal/signals``).

Three statements whatever the number of learners: the latest history rows of each (with the id of
the item version each answer was scored on), their answer totals, the parameters of the skills
met; the versions come from the process cache of versions (a fourth statement for those not in
it), each turned into the model's evidence once per call, not once per history row. The
expected wrong answers use the item's own guess and slip, as the mastery model scored the answer
(``domain.signals.answer_p_correct``), and so does the learn-rate posterior behind each run's
``p_stuck`` (``domain.signals.answer_chances``). Pathways turns the numbers into flags."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.signals import (
    Answer,
    Chances,
    LearnerEvidence,
    answer_chances,
    answer_p_correct,
    summarize,
)
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.repository import signals as repo
from pathwise_assessment.service.mastery import DECAY_HALF_LIFE_DAYS, item_evidence, params_model
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
    # The versions met, each read once (immutable, so cached per process) and turned into the
    # model's evidence once: a class's thousands of rows share a few dozen versions.
    versions = await items_repo.version_rows(
        session, {r.item_version_id for r in rows if r.item_version_id is not None}
    )
    items = {vid: item_evidence(version) for vid, version in versions.items()}
    by_learner: dict[uuid.UUID, list[Answer]] = {}
    district_of: dict[uuid.UUID, uuid.UUID] = {}
    pairs: set[tuple[uuid.UUID, str]] = set()
    met: set[tuple[uuid.UUID, uuid.UUID | None]] = set()  # (district, version) pairs seen
    for r in rows:
        district_of[r.learner_id] = r.district_id
        pairs.add((r.district_id, r.skill_code))
        item = items.get(r.item_version_id) if r.item_version_id is not None else None
        if item is not None and (r.district_id, r.item_version_id) not in met:
            met.add((r.district_id, r.item_version_id))
            pairs.update((r.district_id, code) for code in item.skill_codes)
        by_learner.setdefault(r.learner_id, []).append(
            Answer(
                r.response_id,
                r.skill_code,
                bool(r.correct),
                r.p_before,
                r.p_after,
                r.mastered,
                r.created_at,
                item,
            )
        )
    params = await repo.params_of(session, pairs)
    # Each district's skill models (a skill without stored parameters: the defaults). Only
    # guess and slip are read here, so the decay half-life does not matter.
    models: dict[uuid.UUID, dict[str, rule.SkillModel]] = {}
    for (district, code), row in params.items():
        models.setdefault(district, {})[code] = params_model(row, DECAY_HALF_LIFE_DAYS)
    out = []
    for lid in ids:
        home = district_of.get(lid)
        skill_models = models.get(home, {}) if home is not None else {}

        def chance(
            parts: Sequence[Answer], skill_models: dict[str, rule.SkillModel] = skill_models
        ) -> float:
            return answer_p_correct(parts, skill_models)

        def chances(
            parts: Sequence[Answer],
            code: str,
            skill_models: dict[str, rule.SkillModel] = skill_models,
        ) -> Chances:
            return answer_chances(parts, code, skill_models)

        total, first = totals.get(lid, (0, None))
        out.append(
            summarize(
                lid,
                by_learner.get(lid, []),
                chance,
                window=window,
                answers_total=total,
                first_answer_at=first,
                chances=chances,
            )
        )
    return out
