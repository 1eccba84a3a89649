"""Student voice surveys and their per-learner assignments (every query district-scoped)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import survey_assignments, surveys

__all__ = [
    "assignments_of",
    "get_assignment",
    "get_survey",
    "insert_assignments",
    "insert_survey",
    "learners_with",
    "list_assignments",
    "list_surveys",
    "mark_answered",
]

a, s = survey_assignments, surveys
# An assignment with its survey, for the learner's reads.
_WITH_SURVEY = select(
    a,
    s.c.title,
    s.c.questions,
    s.c.created_by,
    s.c.created_at,
).join(s, s.c.id == a.c.survey_id)


async def insert_survey(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(surveys).values(**values))


async def get_survey(
    session: AsyncSession, district_id: uuid.UUID, survey_id: uuid.UUID
) -> RowMapping | None:
    stmt = select(s).where(s.c.id == survey_id, s.c.district_id == district_id)
    return (await session.execute(stmt)).mappings().first()


async def list_surveys(
    session: AsyncSession,
    district_id: uuid.UUID,
    created_by: str,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[RowMapping]:
    """The caller's own surveys, newest first (keyset on the time-ordered id), ``limit + 1``."""
    stmt = select(s).where(s.c.district_id == district_id, s.c.created_by == created_by)
    if after is not None:
        stmt = stmt.where(s.c.id < after)
    stmt = stmt.order_by(s.c.id.desc()).limit(limit + 1)
    return (await session.execute(stmt)).mappings().all()


async def learners_with(
    session: AsyncSession, survey_id: uuid.UUID, learner_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these learners have the survey already."""
    if not learner_ids:
        return set()
    stmt = select(a.c.learner_id).where(a.c.survey_id == survey_id, a.c.learner_id.in_(learner_ids))
    return set((await session.execute(stmt)).scalars().all())


async def insert_assignments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(survey_assignments), list(rows))


async def list_assignments(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    *,
    status: Literal["open", "answered"],
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[RowMapping]:
    """The learner's assignments, newest first, open or answered; ``limit + 1`` rows."""
    stmt = _WITH_SURVEY.where(a.c.district_id == district_id, a.c.learner_id == learner_id)
    stmt = stmt.where(
        a.c.answered_at.is_(None) if status == "open" else a.c.answered_at.isnot(None)
    )
    if after is not None:
        stmt = stmt.where(a.c.id < after)
    stmt = stmt.order_by(a.c.id.desc()).limit(limit + 1)
    return (await session.execute(stmt)).mappings().all()


async def get_assignment(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, survey_id: uuid.UUID
) -> RowMapping | None:
    stmt = _WITH_SURVEY.where(
        a.c.district_id == district_id, a.c.learner_id == learner_id, a.c.survey_id == survey_id
    )
    return (await session.execute(stmt)).mappings().first()


async def mark_answered(
    session: AsyncSession,
    assignment_id: uuid.UUID,
    *,
    answers: list[dict[str, Any]],
    applied_fields: list[str],
    at: datetime,
) -> bool:
    """Store the answers once: False when the assignment was answered already (also by a
    concurrent request, which the ``answered_at IS NULL`` guard serializes)."""
    result = await session.execute(
        update(a)
        .where(a.c.id == assignment_id, a.c.answered_at.is_(None))
        .values(answers=answers, applied_fields=applied_fields, answered_at=at)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def assignments_of(
    session: AsyncSession, district_id: uuid.UUID, survey_id: uuid.UUID
) -> Sequence[RowMapping]:
    """Every assignment of the survey, by learner id (the results rank nobody)."""
    stmt = (
        select(a)
        .where(a.c.district_id == district_id, a.c.survey_id == survey_id)
        .order_by(a.c.learner_id)
    )
    return (await session.execute(stmt)).mappings().all()
