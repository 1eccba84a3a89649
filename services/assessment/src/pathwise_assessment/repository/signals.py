"""Reads behind the evidence signals: the latest scored-answer history rows of many learners (with
the id of the item version each answer was scored on), their answer totals and the skills'
parameters, each in one statement whatever the number of learners.

The history rows are read as plain columns, with the version's id only: a class of 35 reads up to
7,000 rows over a few dozen versions, and joining each row to its whole version (the JSON spec and
skill codes decoded per row, an ORM object per row) made this read most of the class dashboard's
time. The versions themselves come once each from the items repository's process cache
(``items.version_rows``; versions never change once written)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import MasteryHistory, Response, SkillParams

__all__ = ["ScoredRow", "answer_totals", "latest_answers", "params_of"]

# History rows written for a scored answer (decay and placement write others).
_SCORED = "response"
_H = MasteryHistory


class ScoredRow(NamedTuple):
    """One history row of a scored answer (one skill of it), in the order the statement reads."""

    learner_id: uuid.UUID
    district_id: uuid.UUID
    skill_code: str
    response_id: uuid.UUID | None
    correct: bool | None
    p_before: float
    p_after: float
    mastered: bool
    created_at: datetime
    item_version_id: uuid.UUID | None  # None for a row whose response is gone


def _scope(by_district: bool) -> list[Any]:
    where = [_H.learner_id.in_(bindparam("learners", expanding=True)), _H.reason == _SCORED]
    if by_district:
        where.append(_H.district_id == bindparam("district_id"))
    return where


def _latest_query(by_district: bool) -> Any:
    ranked = (
        select(
            _H.learner_id,
            _H.district_id,
            _H.skill_code,
            _H.response_id,
            _H.correct,
            _H.p_before,
            _H.p_after,
            _H.mastered,
            _H.created_at,
            _H.id,
            func.row_number()
            .over(partition_by=_H.learner_id, order_by=(_H.created_at.desc(), _H.id.desc()))
            .label("rank"),
        )
        .where(*_scope(by_district))
        .subquery()
    )
    c = ranked.c
    return (
        select(
            c.learner_id,
            c.district_id,
            c.skill_code,
            c.response_id,
            c.correct,
            c.p_before,
            c.p_after,
            c.mastered,
            c.created_at,
            Response.item_version_id,
        )
        .outerjoin(
            Response,
            (Response.id == c.response_id) & (Response.district_id == c.district_id),
        )
        .where(c.rank <= bindparam("per_learner"))
        .order_by(c.learner_id, c.created_at, c.id)
    )


def _totals_query(by_district: bool) -> Any:
    return (
        select(
            _H.learner_id,
            func.count(func.distinct(_H.response_id)),
            func.min(_H.created_at),
        )
        .where(*_scope(by_district))
        .group_by(_H.learner_id)
    )


# Each variant (a district's caller, or a system caller across districts) built once.
_LATEST = {d: _latest_query(d) for d in (False, True)}
_TOTALS = {d: _totals_query(d) for d in (False, True)}


def _params(district_id: uuid.UUID | None, learner_ids: Sequence[uuid.UUID]) -> dict[str, Any]:
    params: dict[str, Any] = {"learners": list(learner_ids)}
    if district_id is not None:
        params["district_id"] = district_id
    return params


async def latest_answers(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    learner_ids: Sequence[uuid.UUID],
    per_learner: int,
) -> list[ScoredRow]:
    """The last ``per_learner`` rows of each learner, by learner then in time order, each with
    the id of the item version its response pinned (the item as the mastery model scored it)."""
    if not learner_ids:
        return []
    params = {**_params(district_id, learner_ids), "per_learner": per_learner}
    result = await session.execute(_LATEST[district_id is not None], params)
    return [ScoredRow._make(row) for row in result]


async def answer_totals(
    session: AsyncSession, district_id: uuid.UUID | None, learner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, datetime]]:
    """learner → (scored answers, first answer's time)."""
    if not learner_ids:
        return {}
    result = await session.execute(
        _TOTALS[district_id is not None], _params(district_id, learner_ids)
    )
    return {lid: (int(count), first) for lid, count, first in result}


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
