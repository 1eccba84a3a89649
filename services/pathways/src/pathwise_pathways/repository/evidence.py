"""Step evidence rules and submissions (docs/pathways.md, "Evidence in the learner's format")."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import EvidenceSubmission, PortfolioArtifact, StepEvidenceRule

__all__ = ["get_rule", "get_submission", "list_submissions", "pending_of_step"]


async def get_rule(
    session: AsyncSession, district_id: uuid.UUID, step_id: uuid.UUID, *, lock: bool = False
) -> StepEvidenceRule | None:
    query = select(StepEvidenceRule).where(
        StepEvidenceRule.district_id == district_id, StepEvidenceRule.step_id == step_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_submission(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    submission_id: uuid.UUID,
    *,
    lock: bool = False,
) -> tuple[EvidenceSubmission, PortfolioArtifact] | None:
    query = (
        select(EvidenceSubmission, PortfolioArtifact)
        .join(PortfolioArtifact, PortfolioArtifact.id == EvidenceSubmission.artifact_id)
        .where(
            EvidenceSubmission.district_id == district_id,
            EvidenceSubmission.learner_id == learner_id,
            EvidenceSubmission.id == submission_id,
        )
    )
    if lock:
        query = query.with_for_update(of=EvidenceSubmission)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def pending_of_step(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, step_id: uuid.UUID
) -> EvidenceSubmission | None:
    found = await session.execute(
        select(EvidenceSubmission).where(
            EvidenceSubmission.district_id == district_id,
            EvidenceSubmission.learner_id == learner_id,
            EvidenceSubmission.open_step_id == step_id,
        )
    )
    return found.scalar_one_or_none()


async def list_submissions(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    *,
    step_id: uuid.UUID | None,
    status: str | None,
    shared_only: bool,
    after: uuid.UUID | None,
    limit: int,
) -> list[EvidenceSubmission]:
    """Oldest first (ids are time-ordered), one more than ``limit`` (is there a next page)."""
    query = (
        select(EvidenceSubmission)
        .join(PortfolioArtifact, PortfolioArtifact.id == EvidenceSubmission.artifact_id)
        .where(
            EvidenceSubmission.district_id == district_id,
            EvidenceSubmission.learner_id == learner_id,
        )
    )
    if step_id is not None:
        query = query.where(EvidenceSubmission.step_id == step_id)
    if status is not None:
        query = query.where(EvidenceSubmission.status == status)
    if shared_only:
        query = query.where(PortfolioArtifact.share_with_guardians.is_(True))
    if after is not None:
        query = query.where(EvidenceSubmission.id > after)
    rows = await session.execute(query.order_by(EvidenceSubmission.id).limit(limit + 1))
    return list(rows.scalars())
