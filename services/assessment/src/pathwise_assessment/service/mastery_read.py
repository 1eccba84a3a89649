"""Reading mastery: a learner's skills, many learners at once (internal), a skill's history."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.rows import StateRow
from pathwise_assessment.models import MasteryHistory
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.access import is_student_only
from pathwise_shared.auth import Principal
from pathwise_shared.problems import NotFound

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


async def learner_mastery(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    skill_codes: Sequence[str] | None = None,
) -> list[StateRow]:
    _own(principal, learner_id)
    return await repo.states_of_learners(session, _scope(principal), [learner_id], skill_codes)


async def query_mastery(
    session: AsyncSession,
    principal: Principal,
    learner_ids: Sequence[uuid.UUID],
    skill_codes: Sequence[str] | None,
) -> list[StateRow]:
    return await repo.states_of_learners(
        session, _scope(principal), list(dict.fromkeys(learner_ids)), skill_codes
    )


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
