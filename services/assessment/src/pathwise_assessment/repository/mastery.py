"""Queries on BKT parameters, mastery states, their history and fitting runs."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import (
    ItemVersion,
    MasteryFit,
    MasteryHistory,
    MasteryState,
    Response,
    SkillParams,
)

__all__ = [
    "add_fit",
    "add_history",
    "districts_with_responses",
    "get_fit",
    "history",
    "list_fits",
    "lock_states",
    "mastered_states",
    "params_for",
    "params_of_pairs",
    "recent_evidence",
    "scored_responses",
    "states_of_learners",
    "upsert_params",
]


async def params_for(
    session: AsyncSession, district_id: uuid.UUID, skill_codes: Sequence[str]
) -> dict[str, SkillParams]:
    rows = await session.execute(
        select(SkillParams).where(
            SkillParams.district_id == district_id, SkillParams.skill_code.in_(skill_codes)
        )
    )
    return {p.skill_code: p for p in rows.scalars()}


async def params_of_pairs(
    session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], SkillParams]:
    """Parameters of several (district, skill) pairs at once (a superset is read, then kept)."""
    if not pairs:
        return {}
    rows = await session.execute(
        select(SkillParams).where(
            SkillParams.district_id.in_({d for d, _ in pairs}),
            SkillParams.skill_code.in_({c for _, c in pairs}),
        )
    )
    wanted = set(pairs)
    return {
        (p.district_id, p.skill_code): p
        for p in rows.scalars()
        if (p.district_id, p.skill_code) in wanted
    }


async def upsert_params(
    session: AsyncSession, district_id: uuid.UUID, values: dict[str, dict[str, Any]]
) -> None:
    existing = await params_for(session, district_id, list(values))
    for code, fields in values.items():
        row = existing.get(code)
        if row is None:
            session.add(SkillParams(district_id=district_id, skill_code=code, **fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
    await session.flush()


async def lock_states(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    skill_codes: Sequence[str],
    *,
    prior: dict[str, float],
    now: datetime,
) -> dict[str, MasteryState]:
    """The learner's states of these skills, created if missing and locked until commit.

    Two answers of one learner on one skill may arrive at once (two attempts, two tabs, a retry).
    Each first makes sure the rows exist, with ``INSERT … ON CONFLICT DO NOTHING`` (a row another
    transaction is inserting makes this one wait for it, never fail on the primary key), then
    reads them ``FOR UPDATE``: the second waits until the first commits and then reads its result,
    so no update is lost. Rows are inserted and locked in skill-code order, the same order in every
    transaction, so two answers on overlapping skills cannot deadlock. A new row holds the skill's
    prior and no evidence (``evidence_count == 0``), which the caller treats as "never answered".
    On SQLite ``FOR UPDATE`` is not rendered: the writing transaction already holds the database's
    one write lock (``begin_write``), which serializes the same way.
    """
    codes = sorted(set(skill_codes))
    if not codes:
        return {}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [
        {
            "district_id": district_id,
            "learner_id": learner_id,
            "skill_code": code,
            "p_known": prior[code],
            "mastered": False,
            "level": "not_started",
            "evidence_count": 0,
            "hard_correct_count": 0,
            "updated_at": now,
        }
        for code in codes
    ]
    await session.execute(
        insert(MasteryState)
        .values(values)
        .on_conflict_do_nothing(index_elements=["district_id", "learner_id", "skill_code"])
    )
    rows = await session.execute(
        select(MasteryState)
        .where(
            MasteryState.district_id == district_id,
            MasteryState.learner_id == learner_id,
            MasteryState.skill_code.in_(codes),
        )
        .order_by(MasteryState.skill_code)
        .with_for_update()
        # A state already in this session (read earlier) must be replaced by what the lock reads.
        .execution_options(populate_existing=True)
    )
    return {s.skill_code: s for s in rows.scalars()}


async def states_of_learners(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    learner_ids: Sequence[uuid.UUID],
    skill_codes: Sequence[str] | None,
) -> list[MasteryState]:
    query = select(MasteryState).where(MasteryState.learner_id.in_(learner_ids))
    if district_id is not None:
        query = query.where(MasteryState.district_id == district_id)
    if skill_codes is not None:
        query = query.where(MasteryState.skill_code.in_(skill_codes))
    rows = await session.execute(query.order_by(MasteryState.learner_id, MasteryState.skill_code))
    return list(rows.scalars())


async def mastered_states(
    session: AsyncSession, after: tuple[uuid.UUID, uuid.UUID, str] | None, limit: int
) -> list[MasteryState]:
    """Mastered states of every district in key order, locked for the caller's transaction
    (rows a scoring request holds are skipped: that request applies decay itself)."""
    key = tuple_(MasteryState.district_id, MasteryState.learner_id, MasteryState.skill_code)
    query = select(MasteryState).where(MasteryState.mastered.is_(True))
    if after is not None:
        query = query.where(key > tuple_(*after))
    query = (
        query.order_by(MasteryState.district_id, MasteryState.learner_id, MasteryState.skill_code)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def add_history(session: AsyncSession, rows: Sequence[MasteryHistory]) -> None:
    session.add_all(rows)
    await session.flush()


async def history(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    skill_code: str,
    after: uuid.UUID | None,
    limit: int,
) -> list[MasteryHistory]:
    query = (
        select(MasteryHistory)
        .where(
            MasteryHistory.district_id == district_id,
            MasteryHistory.learner_id == learner_id,
            MasteryHistory.skill_code == skill_code,
        )
        .order_by(MasteryHistory.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(MasteryHistory.id > after)
    return list((await session.execute(query)).scalars())


async def recent_evidence(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    skill_code: str,
    limit: int = 10,
) -> list[MasteryHistory]:
    rows = await session.execute(
        select(MasteryHistory)
        .where(
            MasteryHistory.district_id == district_id,
            MasteryHistory.learner_id == learner_id,
            MasteryHistory.skill_code == skill_code,
            MasteryHistory.response_id.is_not(None),
        )
        .order_by(MasteryHistory.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def scored_responses(
    session: AsyncSession, district_id: uuid.UUID
) -> list[tuple[uuid.UUID, bool, list[str], datetime]]:
    """(learner, correct, skill codes, time) of every scored response, in time order."""
    rows = await session.execute(
        select(Response.learner_id, Response.correct, ItemVersion.skill_codes, Response.created_at)
        .join(ItemVersion, ItemVersion.id == Response.item_version_id)
        .where(
            Response.district_id == district_id,
            Response.status == "scored",
            Response.correct.is_not(None),
        )
        .order_by(Response.id)
    )
    return [(r[0], bool(r[1]), list(r[2]), r[3]) for r in rows.all()]


async def districts_with_responses(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.execute(select(Response.district_id).distinct())
    return list(rows.scalars())


async def add_fit(session: AsyncSession, fit: MasteryFit) -> None:
    session.add(fit)
    await session.flush()


async def get_fit(
    session: AsyncSession, district_id: uuid.UUID, fit_id: uuid.UUID
) -> MasteryFit | None:
    return (
        await session.execute(
            select(MasteryFit).where(MasteryFit.district_id == district_id, MasteryFit.id == fit_id)
        )
    ).scalar_one_or_none()


async def list_fits(
    session: AsyncSession, district_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[MasteryFit]:
    query = (
        select(MasteryFit)
        .where(MasteryFit.district_id == district_id)
        .order_by(MasteryFit.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(MasteryFit.id > after)
    return list((await session.execute(query)).scalars())
