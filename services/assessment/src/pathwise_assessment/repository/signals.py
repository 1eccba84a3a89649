"""Reads behind the evidence signals: the latest scored-answer history rows of many learners (with
the item version each answer was scored on), their answer totals and the skills' parameters, each
in one statement whatever the number of learners."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import ItemVersion, MasteryHistory, Response, SkillParams

__all__ = ["answer_totals", "latest_answers", "params_of"]

# History rows written for a scored answer (decay and placement write others).
_SCORED = "response"


def _scope(
    district_id: uuid.UUID | None, learner_ids: Sequence[uuid.UUID]
) -> list[ColumnElement[bool]]:
    where = [MasteryHistory.learner_id.in_(learner_ids), MasteryHistory.reason == _SCORED]
    if district_id is not None:
        where.append(MasteryHistory.district_id == district_id)
    return where


async def latest_answers(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    learner_ids: Sequence[uuid.UUID],
    per_learner: int,
) -> list[tuple[MasteryHistory, ItemVersion | None]]:
    """The last ``per_learner`` rows of each learner, by learner then in time order, each with
    the item version its response pinned (the item as the mastery model scored it; None for a
    row whose response is gone)."""
    ranked = (
        select(
            MasteryHistory.id,
            func.row_number()
            .over(
                partition_by=MasteryHistory.learner_id,
                order_by=(MasteryHistory.created_at.desc(), MasteryHistory.id.desc()),
            )
            .label("rank"),
        )
        .where(*_scope(district_id, learner_ids))
        .subquery()
    )
    rows = await session.execute(
        select(MasteryHistory, ItemVersion)
        .join(ranked, ranked.c.id == MasteryHistory.id)
        .outerjoin(
            Response,
            (Response.id == MasteryHistory.response_id)
            & (Response.district_id == MasteryHistory.district_id),
        )
        .outerjoin(ItemVersion, ItemVersion.id == Response.item_version_id)
        .where(ranked.c.rank <= per_learner)
        .order_by(MasteryHistory.learner_id, MasteryHistory.created_at, MasteryHistory.id)
    )
    return [(history, version) for history, version in rows]


async def answer_totals(
    session: AsyncSession, district_id: uuid.UUID | None, learner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, datetime]]:
    """learner → (scored answers, first answer's time)."""
    rows = await session.execute(
        select(
            MasteryHistory.learner_id,
            func.count(func.distinct(MasteryHistory.response_id)),
            func.min(MasteryHistory.created_at),
        )
        .where(*_scope(district_id, learner_ids))
        .group_by(MasteryHistory.learner_id)
    )
    return {lid: (int(count), first) for lid, count, first in rows}


async def params_of(
    session: AsyncSession, pairs: set[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], SkillParams]:
    if not pairs:
        return {}
    districts = {d for d, _ in pairs}
    codes = {c for _, c in pairs}
    rows = await session.execute(
        select(SkillParams).where(
            SkillParams.district_id.in_(districts), SkillParams.skill_code.in_(codes)
        )
    )
    return {(p.district_id, p.skill_code): p for p in rows.scalars()}
