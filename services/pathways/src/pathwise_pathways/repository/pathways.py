"""Queries on pathways, their steps and versions, and the processed-event ledger."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import Pathway, PathwayStep, PathwayVersion, ProcessedEvent

__all__ = [
    "get_pathway",
    "list_versions",
    "pathways_for_learners",
    "record_event",
    "steps_of",
    "steps_of_many",
]


async def get_pathway(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, *, lock: bool = False
) -> Pathway | None:
    stmt = select(Pathway).where(
        Pathway.district_id == district_id, Pathway.learner_id == learner_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def steps_of(session: AsyncSession, pathway_id: uuid.UUID) -> list[PathwayStep]:
    stmt = (
        select(PathwayStep)
        .where(PathwayStep.pathway_id == pathway_id)
        .order_by(PathwayStep.position)
    )
    return list((await session.scalars(stmt)).all())


async def pathways_for_learners(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_ids: Sequence[uuid.UUID],
    *,
    lock: bool = False,
) -> dict[uuid.UUID, Pathway]:
    if not learner_ids:
        return {}
    stmt = select(Pathway).where(
        Pathway.district_id == district_id, Pathway.learner_id.in_(list(learner_ids))
    )
    if lock:
        # In id order, so two class-wide changes at once cannot deadlock on PostgreSQL.
        stmt = stmt.order_by(Pathway.id).with_for_update()
    return {p.learner_id: p for p in (await session.scalars(stmt)).all()}


async def steps_of_many(
    session: AsyncSession, pathway_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PathwayStep]]:
    if not pathway_ids:
        return {}
    stmt = (
        select(PathwayStep)
        .where(PathwayStep.pathway_id.in_(list(pathway_ids)))
        .order_by(PathwayStep.pathway_id, PathwayStep.position)
    )
    found: dict[uuid.UUID, list[PathwayStep]] = {}
    for step in (await session.scalars(stmt)).all():
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
