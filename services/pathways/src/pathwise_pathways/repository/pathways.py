"""Queries on pathways, their steps and versions, and the processed-event ledger.

The reads behind the pathway, the class insights and the class dashboard are built once at import
with bound parameters (``expanding`` ones for id lists): building a statement and its cache key
per call cost more than running it. A pathway is read with its steps and their chosen activities
in two statements (``pathway_reads``), a class's pathways likewise, whatever the class size.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import Activity, Pathway, PathwayStep, PathwayVersion, ProcessedEvent
from pathwise_shared.db.driver import HotStatement
from pathwise_shared.timeutil import utcnow

__all__ = [
    "PathwayRead",
    "get_pathway",
    "list_versions",
    "pathway_reads",
    "pathways_for_learners",
    "record_event",
    "steps_of",
    "steps_of_many",
]

_DISTRICT: BindParameter[uuid.UUID] = bindparam("district_id")
_LEARNER: BindParameter[uuid.UUID] = bindparam("learner_id")
_LEARNERS: BindParameter[list[uuid.UUID]] = bindparam("learner_ids", expanding=True)
_PATHWAYS: BindParameter[list[uuid.UUID]] = bindparam("pathway_ids", expanding=True)

_PATHWAY = select(Pathway).where(Pathway.district_id == _DISTRICT, Pathway.learner_id == _LEARNER)
_PATHWAY_LOCKED = _PATHWAY.with_for_update()
_STEPS = (
    select(PathwayStep)
    .where(PathwayStep.pathway_id == bindparam("pathway_id"))
    .order_by(PathwayStep.position)
)
_PATHWAYS_OF = select(Pathway).where(
    Pathway.district_id == _DISTRICT, Pathway.learner_id.in_(_LEARNERS)
)
# In id order, so two class-wide changes at once cannot deadlock on PostgreSQL.
_PATHWAYS_OF_LOCKED = _PATHWAYS_OF.order_by(Pathway.id).with_for_update()
_STEPS_OF_MANY = (
    select(PathwayStep)
    .where(PathwayStep.pathway_id.in_(_PATHWAYS))
    .order_by(PathwayStep.pathway_id, PathwayStep.position)
)


# The steps of some pathways with the activity chosen for each: the second statement of a read.
# Not joined to the pathway row itself, whose JSON columns would be decoded again per step.
_STEPS_AND_CHOICES = (
    select(PathwayStep, Activity)
    .outerjoin(
        Activity,
        and_(
            Activity.id == PathwayStep.chosen_activity_id,
            Activity.district_id == _DISTRICT,
        ),
    )
    .where(PathwayStep.pathway_id.in_(_PATHWAYS))
    .order_by(PathwayStep.pathway_id, PathwayStep.position)
)


@dataclass
class PathwayRead:
    """A pathway, its steps in order and the activities chosen for them (by id)."""

    pathway: Pathway
    steps: list[PathwayStep] = field(default_factory=list)
    chosen: dict[uuid.UUID, Activity] = field(default_factory=dict)


async def pathway_reads(
    session: AsyncSession, district_id: uuid.UUID, learner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PathwayRead]:
    """The learners' pathways in the district with their steps and chosen activities, in two
    statements whatever the number of learners; learners without a pathway are absent."""
    if not learner_ids:
        return {}
    if len(learner_ids) == 1:
        params: dict[str, Any] = {"district_id": district_id, "learner_id": learner_ids[0]}
        pathways = (await session.scalars(_PATHWAY, params)).all()
    else:
        params = {"district_id": district_id, "learner_ids": list(learner_ids)}
        pathways = (await session.scalars(_PATHWAYS_OF, params)).all()
    if not pathways:
        return {}
    by_id = {p.id: PathwayRead(p) for p in pathways}
    params = {"district_id": district_id, "pathway_ids": list(by_id)}
    for step, activity in await session.execute(_STEPS_AND_CHOICES, params):
        read = by_id[step.pathway_id]
        read.steps.append(step)
        if activity is not None:
            read.chosen[activity.id] = activity
    return {read.pathway.learner_id: read for read in by_id.values()}


async def get_pathway(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, *, lock: bool = False
) -> Pathway | None:
    stmt = _PATHWAY_LOCKED if lock else _PATHWAY
    params = {"district_id": district_id, "learner_id": learner_id}
    return (await session.scalars(stmt, params)).one_or_none()


async def steps_of(session: AsyncSession, pathway_id: uuid.UUID) -> list[PathwayStep]:
    return list((await session.scalars(_STEPS, {"pathway_id": pathway_id})).all())


async def pathways_for_learners(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_ids: Sequence[uuid.UUID],
    *,
    lock: bool = False,
) -> dict[uuid.UUID, Pathway]:
    if not learner_ids:
        return {}
    stmt = _PATHWAYS_OF_LOCKED if lock else _PATHWAYS_OF
    params = {"district_id": district_id, "learner_ids": list(learner_ids)}
    return {p.learner_id: p for p in (await session.scalars(stmt, params)).all()}


async def steps_of_many(
    session: AsyncSession, pathway_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PathwayStep]]:
    if not pathway_ids:
        return {}
    found: dict[uuid.UUID, list[PathwayStep]] = {}
    params = {"pathway_ids": list(pathway_ids)}
    for step in (await session.scalars(_STEPS_OF_MANY, params)).all():
        found.setdefault(step.pathway_id, []).append(step)
    return found


async def list_versions(
    session: AsyncSession, pathway_id: uuid.UUID, limit: int, before: int | None
) -> Sequence[PathwayVersion]:
    stmt = select(PathwayVersion).where(PathwayVersion.pathway_id == pathway_id)
    if before is not None:
        stmt = stmt.where(PathwayVersion.version < before)
    stmt = stmt.order_by(PathwayVersion.version.desc()).limit(limit + 1)
    return (await session.scalars(stmt)).all()


@lru_cache(maxsize=2)
def _record_event(is_pg: bool) -> HotStatement:
    # Built once per backend, run on the driver: every delivered event runs it.
    insert = (postgresql.insert if is_pg else sqlite.insert)(ProcessedEvent)
    keys = ("event_id", "event_type", "received_at")
    return HotStatement(
        insert.values({k: bindparam(k) for k in keys})
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.event_id)
    )


async def record_event(session: AsyncSession, event_id: uuid.UUID, event_type: str) -> bool:
    """True the first time an event id is seen; False for a redelivery. One statement (a look,
    a savepoint, an insert and its release were four round trips per event): a concurrent
    delivery of the same id waits on the row and then inserts nothing."""
    statement = _record_event(session.get_bind().dialect.name == "postgresql")
    params = {"event_id": event_id, "event_type": event_type, "received_at": utcnow()}
    return bool(await statement.rows(session, params))
