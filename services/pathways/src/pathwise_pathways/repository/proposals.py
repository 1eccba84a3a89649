"""Learners' proposed plans and their revisions (docs/pathways.md, "A plan the learner drafts")."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import PathwayProposal, PathwayProposalRevision

__all__ = ["get_proposal", "list_proposals", "open_proposal", "revisions_of"]


async def get_proposal(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    *,
    lock: bool = False,
) -> PathwayProposal | None:
    stmt = select(PathwayProposal).where(
        PathwayProposal.id == proposal_id,
        PathwayProposal.district_id == district_id,
        PathwayProposal.learner_id == learner_id,
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def open_proposal(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> PathwayProposal | None:
    """The learner's proposal still being worked on (proposed or returned), if any."""
    stmt = (
        select(PathwayProposal)
        .where(
            PathwayProposal.district_id == district_id,
            PathwayProposal.learner_id == learner_id,
            PathwayProposal.status.in_(("proposed", "returned")),
        )
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def list_proposals(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    limit: int,
    before: uuid.UUID | None,
) -> Sequence[PathwayProposal]:
    """Newest first (ids are UUIDv7), one more row than ``limit``."""
    stmt = select(PathwayProposal).where(
        PathwayProposal.district_id == district_id, PathwayProposal.learner_id == learner_id
    )
    if before is not None:
        stmt = stmt.where(PathwayProposal.id < before)
    stmt = stmt.order_by(PathwayProposal.id.desc()).limit(limit + 1)
    return (await session.scalars(stmt)).all()


async def revisions_of(
    session: AsyncSession, proposal_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PathwayProposalRevision]]:
    if not proposal_ids:
        return {}
    stmt = (
        select(PathwayProposalRevision)
        .where(PathwayProposalRevision.proposal_id.in_(list(proposal_ids)))
        .order_by(PathwayProposalRevision.proposal_id, PathwayProposalRevision.revision)
    )
    found: dict[uuid.UUID, list[PathwayProposalRevision]] = {}
    for row in (await session.scalars(stmt)).all():
        found.setdefault(row.proposal_id, []).append(row)
    return found
