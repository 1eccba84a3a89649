"""Queries on practice days, badges and the motivation preference (one learner at a time:
nothing here lists or orders learners)."""

import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, distinct, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.motivation import FlagNotice as Notice
from pathwise_assessment.domain.motivation import SkillMoment
from pathwise_assessment.models import (
    Badge,
    FlagNotice,
    MasteryHistory,
    MotivationPreference,
    PracticeDay,
)
from pathwise_shared.db.driver import HotStatement

__all__ = [
    "add_practice",
    "award",
    "badges_of",
    "claim_episode",
    "flag_notices",
    "hidden",
    "history_by_skill",
    "mastered_skill_count",
    "practice_days",
    "record_flag_notice",
    "release_episode",
    "set_hidden",
    "skill_history",
]

_DAYS = cast(Table, PracticeDay.__table__)
_BADGES = cast(Table, Badge.__table__)
_PREFS = cast(Table, MotivationPreference.__table__)
_NOTICES = cast(Table, FlagNotice.__table__)


def _insert(session: AsyncSession, table: Table) -> Any:
    return (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )(table)


@lru_cache(maxsize=2)
def _add_practice(is_pg: bool) -> HotStatement:
    # Built once per backend, run on the driver: every answer runs it.
    insert = (postgresql.insert if is_pg else sqlite.insert)(_DAYS)
    keys = ("district_id", "learner_id", "day", "answers")
    return HotStatement(
        insert.values({k: bindparam(k) for k in keys})
        .on_conflict_do_update(
            index_elements=[_DAYS.c.district_id, _DAYS.c.learner_id, _DAYS.c.day],
            set_={"answers": _DAYS.c.answers + 1},
        )
        .returning(_DAYS.c.answers)
    )


async def add_practice(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, day: date
) -> int:
    """Count one answer on ``day``; returns the day's count after it (1: a new practice day)."""
    stmt = _add_practice(session.get_bind().dialect.name == "postgresql")
    row = {"district_id": district_id, "learner_id": learner_id, "day": day, "answers": 1}
    [(answers,)] = await stmt.rows(session, row)
    return int(answers)


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


def _moment(row: Any) -> SkillMoment:
    # A row with ``correct`` is an answer (a response, or a skip, which counts as wrong); the
    # others are decay.
    return SkillMoment(row.created_at, row.correct is not None, bool(row.mastered))


async def skill_history(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, skill_code: str
) -> list[SkillMoment]:
    """The learner's mastery history on the skill, oldest first."""
    rows = await session.execute(
        select(MasteryHistory.created_at, MasteryHistory.correct, MasteryHistory.mastered)
        .where(
            MasteryHistory.district_id == district_id,
            MasteryHistory.learner_id == learner_id,
            MasteryHistory.skill_code == skill_code,
        )
        .order_by(MasteryHistory.created_at, MasteryHistory.id)
    )
    return [_moment(r) for r in rows]


async def history_by_skill(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> dict[str, list[SkillMoment]]:
    """The learner's mastery history on every skill, oldest first (only when a flag arrives)."""
    rows = await session.execute(
        select(
            MasteryHistory.skill_code,
            MasteryHistory.created_at,
            MasteryHistory.correct,
            MasteryHistory.mastered,
        )
        .where(MasteryHistory.district_id == district_id, MasteryHistory.learner_id == learner_id)
        .order_by(MasteryHistory.created_at, MasteryHistory.id)
    )
    out: dict[str, list[SkillMoment]] = {}
    for r in rows:
        out.setdefault(r.skill_code, []).append(_moment(r))
    return out


async def record_flag_notice(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    flag_id: uuid.UUID,
    kind: str,
    code: str,
    skill_code: str | None,
    occurred_at: datetime,
    now: datetime,
) -> bool:
    """Store a flag event once; whether it was new (a redelivery of its id adds nothing)."""
    stmt = _insert(session, _NOTICES).values(
        event_id=event_id,
        district_id=district_id,
        learner_id=learner_id,
        flag_id=flag_id,
        kind=kind,
        code=code,
        skill_code=skill_code,
        occurred_at=occurred_at,
        received_at=now,
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=[_NOTICES.c.event_id]).returning(
        _NOTICES.c.event_id
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def flag_notices(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> list[Notice]:
    rows = await session.execute(
        select(FlagNotice)
        .where(FlagNotice.district_id == district_id, FlagNotice.learner_id == learner_id)
        .order_by(FlagNotice.occurred_at, FlagNotice.event_id)
    )
    return [
        Notice(
            r.event_id,
            r.flag_id,
            r.kind,
            r.code,
            r.skill_code,
            r.occurred_at,
            used=r.comeback_skill is not None,
        )
        for r in rows.scalars()
    ]


async def claim_episode(
    session: AsyncSession, district_id: uuid.UUID, event_id: uuid.UUID, skill_code: str
) -> bool:
    """Mark the episode as having earned its comeback; False when another transaction did first
    (the row lock makes the second wait, then see the claim)."""
    result = await session.execute(
        update(FlagNotice)
        .where(
            FlagNotice.event_id == event_id,
            FlagNotice.district_id == district_id,
            FlagNotice.comeback_skill.is_(None),
        )
        .values(comeback_skill=skill_code)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def release_episode(
    session: AsyncSession, district_id: uuid.UUID, event_id: uuid.UUID
) -> None:
    """Undo a claim whose badge the learner already had (the episode can still earn one)."""
    await session.execute(
        update(FlagNotice)
        .where(FlagNotice.event_id == event_id, FlagNotice.district_id == district_id)
        .values(comeback_skill=None)
    )


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
