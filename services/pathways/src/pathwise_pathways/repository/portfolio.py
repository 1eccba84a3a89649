"""Queries on portfolio artifacts and their feedback; every one scoped to a district."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import PortfolioArtifact, PortfolioFeedback

__all__ = ["artifact_by_key", "feedback_of", "get_artifact", "list_artifacts"]


async def get_artifact(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    *,
    lock: bool = False,
) -> PortfolioArtifact | None:
    stmt = select(PortfolioArtifact).where(
        PortfolioArtifact.district_id == district_id,
        PortfolioArtifact.learner_id == learner_id,
        PortfolioArtifact.id == artifact_id,
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def artifact_by_key(
    session: AsyncSession, district_id: uuid.UUID, key: str
) -> PortfolioArtifact | None:
    stmt = select(PortfolioArtifact).where(
        PortfolioArtifact.district_id == district_id, PortfolioArtifact.idempotency_key == key
    )
    return (await session.scalars(stmt)).one_or_none()


async def list_artifacts(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    *,
    limit: int,
    after: uuid.UUID | None,
    shared_only: bool,
) -> list[PortfolioArtifact]:
    """Oldest first (ids are UUIDv7), ``limit + 1`` rows: the extra one says there is more."""
    stmt = select(PortfolioArtifact).where(
        PortfolioArtifact.district_id == district_id, PortfolioArtifact.learner_id == learner_id
    )
    if shared_only:
        stmt = stmt.where(PortfolioArtifact.share_with_guardians.is_(True))
    if after is not None:
        stmt = stmt.where(PortfolioArtifact.id > after)
    stmt = stmt.order_by(PortfolioArtifact.id).limit(limit + 1)
    return list(await session.scalars(stmt))


async def feedback_of(
    session: AsyncSession, district_id: uuid.UUID, artifact_ids: Sequence[uuid.UUID]
) -> list[PortfolioFeedback]:
    if not artifact_ids:
        return []
    stmt = (
        select(PortfolioFeedback)
        .where(
            PortfolioFeedback.district_id == district_id,
            PortfolioFeedback.artifact_id.in_(artifact_ids),
        )
        .order_by(PortfolioFeedback.artifact_id, PortfolioFeedback.id)
    )
    return list(await session.scalars(stmt))
