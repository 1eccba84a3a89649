"""Queries on BKT parameters, mastery states, their history and fitting runs."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.bkt import DEFAULT_PARAMS, BktParams
from pathwise_assessment.domain.mastery import DEFAULT_THRESHOLD
from pathwise_assessment.domain.rows import StoredStateRow
from pathwise_assessment.models import (
    ItemVersion,
    MasteryFit,
    MasteryHistory,
    MasteryState,
    Response,
    SkillParams,
)
from pathwise_assessment.repository.cache import DistrictCache
from pathwise_shared.db.driver import HotStatement
from pathwise_shared.db.uow import core

__all__ = [
    "add_fit",
    "add_history",
    "districts_with_responses",
    "get_fit",
    "history",
    "insert_history",
    "list_fits",
    "lock_state_rows",
    "mastered_states",
    "model_params",
    "params_for",
    "params_of_pairs",
    "recent_evidence",
    "scored_responses",
    "states_of_learners",
    "update_states",
    "upsert_params",
]


# A skill's (BKT parameters, threshold), cached per process; ``upsert_params`` drops them.
_params: DistrictCache[str, tuple[BktParams, float]] = DistrictCache()
_PARAMS = select(
    SkillParams.skill_code, SkillParams.prior, SkillParams.learn, SkillParams.guess,
    SkillParams.slip, SkillParams.forget, SkillParams.threshold,
).where(
    SkillParams.district_id == bindparam("district_id"),
    SkillParams.skill_code.in_(bindparam("codes", expanding=True)),
)  # fmt: skip
_STATES = cast(Table, MasteryState.__table__)
_MS = _STATES.c
_STATE_COLUMNS = (
    _MS.skill_code, _MS.p_known, _MS.mastered, _MS.level, _MS.evidence_count,
    _MS.evidence_weight, _MS.updated_at,
)  # fmt: skip


def _lock_upsert(is_pg: bool) -> Any:
    """Create-if-missing and lock in one statement: the no-op ``DO UPDATE`` takes the row lock
    (waiting for a transaction that holds it, then seeing its committed row) and ``RETURNING``
    gives the row as it stands, new or not."""
    stmt = (postgresql.insert if is_pg else sqlite.insert)(_STATES)
    return stmt.on_conflict_do_update(
        index_elements=[_MS.district_id, _MS.learner_id, _MS.skill_code],
        set_={"skill_code": stmt.excluded.skill_code},
    ).returning(*_STATE_COLUMNS)


_LOCK_UPSERT = {"postgresql": _lock_upsert(True), "sqlite": _lock_upsert(False)}
# One skill's row (the usual answer) on the driver (``HotStatement``), every column named.
_LOCK_COLUMNS = (
    "district_id", "learner_id", "skill_code", "p_known", "mastered", "level", "evidence_count",
    "hard_correct_count", "evidence_weight", "updated_at",
)  # fmt: skip
_LOCK_ONE = {
    name: HotStatement(stmt.values({c: bindparam(c) for c in _LOCK_COLUMNS}))
    for name, stmt in _LOCK_UPSERT.items()
}
_UPDATE_STATE = (
    update(_STATES)
    .where(
        _MS.district_id == bindparam("k_district_id"),
        _MS.learner_id == bindparam("k_learner_id"),
        _MS.skill_code == bindparam("k_skill_code"),
    )
    .values(
        p_known=bindparam("p_known"),
        mastered=bindparam("mastered"),
        level=bindparam("level"),
        evidence_count=bindparam("evidence_count"),
        evidence_weight=bindparam("evidence_weight"),
        updated_at=bindparam("updated_at"),
    )
)
_INSERT_HISTORY = insert(cast(Table, MasteryHistory.__table__))
_UPDATE_HOT = HotStatement(_UPDATE_STATE)
_HISTORY_COLUMNS = (
    "id", "district_id", "learner_id", "skill_code", "response_id", "reason", "correct", "hard",
    "p_before", "p_after", "mastered", "level", "created_at",
)  # fmt: skip
_INSERT_HISTORY_HOT = HotStatement(
    insert(cast(Table, MasteryHistory.__table__)).values(
        {c: bindparam(c) for c in _HISTORY_COLUMNS}
    )
)


async def model_params(
    session: AsyncSession, district_id: uuid.UUID, skill_codes: Sequence[str]
) -> dict[str, tuple[BktParams, float]]:
    """Each skill's BKT parameters and mastery threshold (the defaults when none is stored)."""
    found: dict[str, tuple[BktParams, float]] = {}
    missing = []
    for code in skill_codes:
        entry = _params.get(district_id, code)
        if entry is None:
            missing.append(code)
        else:
            found[code] = entry
    if missing:
        generation = _params.generation(district_id)
        rows = await session.execute(_PARAMS, {"district_id": district_id, "codes": missing})
        stored = {r[0]: (BktParams(r[1], r[2], r[3], r[4], r[5]), r[6]) for r in rows}
        for code in missing:
            found[code] = stored.get(code, (DEFAULT_PARAMS, DEFAULT_THRESHOLD))
            _params.put(district_id, code, found[code], generation)
    return found


async def lock_state_rows(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    prior: dict[str, float],
    now: datetime,
) -> dict[str, tuple[Any, ...]]:
    """The learner's states of these skills (``prior``'s keys), created if missing and locked
    until commit, in one statement: (skill_code, p_known, mastered, level, evidence_count,
    evidence_weight, updated_at) per skill.

    Rows are created and locked in skill-code order (no deadlock
    between two answers on overlapping skills), a new row holds the prior and no evidence, and a
    second answer of the learner on the skill waits for the first to commit, then reads its
    result. On SQLite the transaction already holds the write lock (``begin_write``).
    """
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
            "evidence_weight": 0.0,
            "updated_at": now,
        }
        for code in sorted(prior)
    ]
    dialect = session.get_bind().dialect.name
    if len(values) == 1:
        return {r[0]: tuple(r) for r in await _LOCK_ONE[dialect].rows(session, values[0])}
    # Several rows are batched by SQLAlchemy's "insertmanyvalues" into one multi-row INSERT,
    # rows in the given (sorted) order.
    rows = await (await core(session)).execute(_LOCK_UPSERT[dialect], values)
    return {r[0]: tuple(r) for r in rows}


async def update_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Write states locked by ``lock_state_rows`` (keys ``k_district_id``, ``k_learner_id``,
    ``k_skill_code`` and the new values)."""
    await _UPDATE_HOT.execute_many(session, rows)


async def insert_history(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """History rows, each naming every column of ``_HISTORY_COLUMNS``."""
    await _INSERT_HISTORY_HOT.execute_many(session, rows)


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
    # The cached parameters of the district are dropped (at once and when this commits).
    _params.invalidate_on_commit(session, district_id)
    existing = await params_for(session, district_id, list(values))
    for code, fields in values.items():
        row = existing.get(code)
        if row is None:
            session.add(SkillParams(district_id=district_id, skill_code=code, **fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
    await session.flush()


_SP = cast(Table, SkillParams.__table__).c


def _states_query(by_district: bool, by_skill: bool) -> Any:
    # The skill's parameters come with each row (outer join: none stored, the defaults), so that
    # a read can show the state as of now (decayed) without another statement.
    columns = (
        _MS.learner_id, _MS.skill_code, _MS.p_known, _MS.mastered, _MS.evidence_count,
        _MS.evidence_weight, _MS.updated_at, _SP.prior, _SP.learn, _SP.guess, _SP.slip,
        _SP.forget, _SP.threshold,
    )  # fmt: skip
    query = (
        select(*columns)
        .select_from(_STATES)
        .outerjoin(
            SkillParams.__table__,
            (_SP.district_id == _MS.district_id) & (_SP.skill_code == _MS.skill_code),
        )
        .where(_MS.learner_id.in_(bindparam("learners", expanding=True)))
    )
    if by_district:
        query = query.where(_MS.district_id == bindparam("district_id"))
    if by_skill:
        query = query.where(_MS.skill_code.in_(bindparam("codes", expanding=True)))
    return query.order_by(_MS.learner_id, _MS.skill_code)


# The learner overview and class dashboard reads: one statement per call whatever the number of
# learners, each variant built once, rows read as columns (no ORM identity map for 35 x 20 rows).
_STATES_QUERIES = {(d, k): _states_query(d, k) for d in (False, True) for k in (False, True)}


def _stored_row(row: Any) -> StoredStateRow:
    params = None if row[7] is None else BktParams(row[7], row[8], row[9], row[10], row[11])
    return StoredStateRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], params, row[12])


async def states_of_learners(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    learner_ids: Sequence[uuid.UUID],
    skill_codes: Sequence[str] | None,
) -> list[StoredStateRow]:
    """The learners' states as stored, with their skills' parameters (one statement)."""
    if not learner_ids:
        return []
    params: dict[str, Any] = {"learners": list(learner_ids)}
    if district_id is not None:
        params["district_id"] = district_id
    if skill_codes is not None:
        params["codes"] = list(skill_codes)
    query = _STATES_QUERIES[(district_id is not None, skill_codes is not None)]
    return [_stored_row(row) for row in await session.execute(query, params)]


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


_HISTORY = cast(Table, MasteryHistory.__table__).c
# Built once: every mastery.changed (most answers) carries the skill's latest evidence.
_RECENT_EVIDENCE = (
    select(
        _HISTORY.response_id, _HISTORY.correct, _HISTORY.hard, _HISTORY.p_before, _HISTORY.p_after
    )
    .where(
        _HISTORY.district_id == bindparam("district_id"),
        _HISTORY.learner_id == bindparam("learner_id"),
        _HISTORY.skill_code == bindparam("skill_code"),
        _HISTORY.response_id.is_not(None),
    )
    .order_by(_HISTORY.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


async def recent_evidence(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    skill_code: str,
    limit: int = 10,
) -> Sequence[Any]:
    """The skill's latest history rows that came from a response, newest first (plain rows:
    ``response_id``, ``correct``, ``hard``, ``p_before``, ``p_after``)."""
    params = {
        "district_id": district_id,
        "learner_id": learner_id,
        "skill_code": skill_code,
        "limit": limit,
    }
    return (await (await core(session)).execute(_RECENT_EVIDENCE, params)).all()


async def scored_responses(
    session: AsyncSession, district_id: uuid.UUID
) -> tuple[list[tuple[uuid.UUID, bool, uuid.UUID, datetime]], list[ItemVersion]]:
    """(learner, correct, item version id, time) of every scored response, in time order, and
    the item versions they pinned (each once: the fit needs their skills, difficulty,
    discrimination and spec, and a spec per response would be read thousands of times)."""
    scored = (
        Response.district_id == district_id,
        Response.status == "scored",
        Response.correct.is_not(None),
    )
    rows = await session.execute(
        select(Response.learner_id, Response.correct, Response.item_version_id, Response.created_at)
        .where(*scored)
        .order_by(Response.id)
    )
    versions = await session.execute(
        select(ItemVersion).where(
            ItemVersion.id.in_(select(Response.item_version_id).where(*scored).distinct())
        )
    )
    return [(r[0], bool(r[1]), r[2], r[3]) for r in rows.all()], list(versions.scalars())


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
