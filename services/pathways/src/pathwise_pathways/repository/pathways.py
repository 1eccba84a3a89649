"""Queries on pathways, their steps and versions, and the processed-event ledger.

The reads behind the pathway, the class insights and the class dashboard are built once at import
with bound parameters (``expanding`` ones for id lists): building a statement and its cache key
per call cost more than running it. A pathway is read with its steps and their chosen activities
in one statement (``pathway_reads``), a class's pathways likewise, whatever the class size.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import Activity, Pathway, PathwayStep, PathwayVersion, ProcessedEvent

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


def _with_steps_and_choices(
    which: ColumnElement[bool],
) -> Select[Pathway, PathwayStep, Activity]:
    """Pathways (filtered by the caller) with each step and the activity chosen for it, in order
    (a pathway without steps is one row with null step columns)."""
    return (
        select(Pathway, PathwayStep, Activity)
        .outerjoin(PathwayStep, PathwayStep.pathway_id == Pathway.id)
        .outerjoin(
            Activity,
            and_(
                Activity.id == PathwayStep.chosen_activity_id,
                Activity.district_id == Pathway.district_id,
            ),
        )
        .where(Pathway.district_id == _DISTRICT, which)
        .order_by(Pathway.learner_id, PathwayStep.position)
    )


_READ_ONE = _with_steps_and_choices(Pathway.learner_id == _LEARNER)
_READ_MANY = _with_steps_and_choices(Pathway.learner_id.in_(_LEARNERS))


@dataclass
class PathwayRead:
    """A pathway, its steps in order and the activities chosen for them (by id)."""

    pathway: Pathway
    steps: list[PathwayStep] = field(default_factory=list)
    chosen: dict[uuid.UUID, Activity] = field(default_factory=dict)


async def pathway_reads(
    session: AsyncSession, district_id: uuid.UUID, learner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PathwayRead]:
    """The learners' pathways in the district with steps and chosen activities, one statement;
    learners without a pathway are absent."""
    if not learner_ids:
        return {}
    params: dict[str, Any] = {"district_id": district_id}
    if len(learner_ids) == 1:
        stmt, params["learner_id"] = _READ_ONE, learner_ids[0]
    else:
        stmt, params["learner_ids"] = _READ_MANY, list(learner_ids)
    found: dict[uuid.UUID, PathwayRead] = {}
    for pathway, step, activity in await session.execute(stmt, params):
        read = found.get(pathway.learner_id)
        if read is None:
            read = found[pathway.learner_id] = PathwayRead(pathway)
        if step is not None:
            read.steps.append(step)
        if activity is not None:
            read.chosen[activity.id] = activity
    return found


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


async def record_event(session: AsyncSession, event_id: uuid.UUID, event_type: str) -> bool:
    """True the first time an event id is seen; False for a redelivery."""
    if await session.get(ProcessedEvent, event_id) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, event_type=event_type))
    except IntegrityError:
        return False
    return True
