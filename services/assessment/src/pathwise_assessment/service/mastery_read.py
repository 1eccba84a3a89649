"""Reading mastery: a learner's skills, many learners at once (internal), a skill's history."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.rows import StateRow, StoredStateRow
from pathwise_assessment.models import MasteryHistory
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.access import is_student_only
from pathwise_assessment.service.mastery import skill_model_of
from pathwise_shared.auth import Principal
from pathwise_shared.problems import NotFound
from pathwise_shared.timeutil import utcnow

__all__ = ["learner_mastery", "mastery_history", "query_mastery"]


def _scope(principal: Principal) -> uuid.UUID | None:
    # The system principal (our own jobs) reads across districts; everyone else only their own.
    return None if principal.is_system else principal.require_district()


def _own(principal: Principal, learner_id: uuid.UUID) -> None:
    if (
        is_student_only(principal)
        and principal.has_role("student")
        and principal.user_id != learner_id
    ):
        raise NotFound("No such learner.", slug="learner-not-found")


def as_of(rows: Sequence[StoredStateRow], now: datetime) -> list[StateRow]:
    """The states as of ``now``: decayed since they were written and *mastered* re-derived
    (``domain.mastery.current_state``, the rule the answer path and the sweep apply), so a read
    shows an idle learner's faded mastery before the sweep or an answer writes it."""
    out = []
    for row in rows:
        model = skill_model_of(row.params, row.threshold)
        stored = rule.MasteryState(
            row.p_known,
            row.mastered,
            evidence_count=row.evidence_count,
            evidence_weight=row.evidence_weight,
        )
        state = rule.current_state(stored, model, since=row.updated_at, now=now)
        out.append(
            StateRow(
                row.learner_id, row.skill_code, state.p_known, state.mastered, state.level,
                state.evidence_count, row.updated_at,
            )
        )  # fmt: skip
    return out


async def learner_mastery(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    skill_codes: Sequence[str] | None = None,
) -> list[StateRow]:
    _own(principal, learner_id)
    rows = await repo.states_of_learners(session, _scope(principal), [learner_id], skill_codes)
    return as_of(rows, utcnow())


async def query_mastery(
    session: AsyncSession,
    principal: Principal,
    learner_ids: Sequence[uuid.UUID],
    skill_codes: Sequence[str] | None,
) -> list[StateRow]:
    rows = await repo.states_of_learners(
        session, _scope(principal), list(dict.fromkeys(learner_ids)), skill_codes
    )
    return as_of(rows, utcnow())


async def mastery_history(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    skill_code: str,
    after: uuid.UUID | None,
    limit: int,
) -> list[MasteryHistory]:
    _own(principal, learner_id)
    return await repo.history(
        session, principal.require_district(), learner_id, skill_code, after, limit
    )
