"""Queries on practice days, badges and the motivation preference (one learner at a time:
nothing here lists or orders learners)."""

import uuid
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Badge, MasteryHistory, MotivationPreference, PracticeDay

__all__ = [
    "add_practice",
    "award",
    "badges_of",
    "hidden",
    "mastered_skill_count",
    "practice_days",
    "set_hidden",
    "skill_answers",
]

_DAYS = cast(Table, PracticeDay.__table__)
_BADGES = cast(Table, Badge.__table__)
_PREFS = cast(Table, MotivationPreference.__table__)


def _insert(session: AsyncSession, table: Table) -> Any:
    return (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )(table)


async def add_practice(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, day: date
) -> int:
    """Count one answer on ``day``; returns the day's count after it (1: a new practice day)."""
    stmt = _insert(session, _DAYS)
    stmt = stmt.values(district_id=district_id, learner_id=learner_id, day=day, answers=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_DAYS.c.district_id, _DAYS.c.learner_id, _DAYS.c.day],
        set_={"answers": _DAYS.c.answers + 1},
    ).returning(_DAYS.c.answers)
    return int((await session.execute(stmt)).scalar_one())


async def practice_days(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> list[tuple[date, int]]:
    rows = await session.execute(
        select(PracticeDay.day, PracticeDay.answers)
        .where(PracticeDay.district_id == district_id, PracticeDay.learner_id == learner_id)
        .order_by(PracticeDay.day)
    )
    return [(r[0], r[1]) for r in rows]


async def mastered_skill_count(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> int:
    """Skills the learner has ever mastered (a history row with ``mastered`` set)."""
    found = await session.execute(
        select(func.count(distinct(MasteryHistory.skill_code))).where(
            MasteryHistory.district_id == district_id,
            MasteryHistory.learner_id == learner_id,
            MasteryHistory.mastered.is_(True),
        )
    )
    return int(found.scalar_one())


async def skill_answers(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, skill_code: str
) -> list[bool]:
    """The learner's scored answers on the skill, oldest first (skipped items count as wrong,
    as they do for mastery)."""
    rows = await session.execute(
        select(MasteryHistory.correct)
        .where(
            MasteryHistory.district_id == district_id,
            MasteryHistory.learner_id == learner_id,
            MasteryHistory.skill_code == skill_code,
            MasteryHistory.correct.is_not(None),
        )
        .order_by(MasteryHistory.created_at, MasteryHistory.id)
    )
    return [bool(r[0]) for r in rows]


async def award(
    session: AsyncSession,
    *,
    badge_id: uuid.UUID,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    code: str,
    skill_code: str,
    now: datetime,
) -> bool:
    """Award the badge unless the learner has it; whether it was new."""
    stmt = _insert(session, _BADGES).values(
        id=badge_id,
        district_id=district_id,
        learner_id=learner_id,
        code=code,
        skill_code=skill_code,
        awarded_at=now,
    )
    stmt = stmt.on_conflict_do_nothing(
        index_elements=[
            _BADGES.c.district_id, _BADGES.c.learner_id, _BADGES.c.code, _BADGES.c.skill_code
        ]
    ).returning(_BADGES.c.id)  # fmt: skip
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def badges_of(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> list[Badge]:
    rows = await session.execute(
        select(Badge)
        .where(Badge.district_id == district_id, Badge.learner_id == learner_id)
        .order_by(Badge.awarded_at, Badge.id)
    )
    return list(rows.scalars())


async def hidden(session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(MotivationPreference.hidden).where(
            MotivationPreference.district_id == district_id,
            MotivationPreference.learner_id == learner_id,
        )
    )
    return bool(found.scalar_one_or_none())


async def set_hidden(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    value: bool,
    now: datetime,
) -> None:
    stmt = _insert(session, _PREFS).values(
        district_id=district_id, learner_id=learner_id, hidden=value, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[_PREFS.c.district_id, _PREFS.c.learner_id],
        set_={"hidden": value, "updated_at": now},
    )
    await session.execute(stmt)
