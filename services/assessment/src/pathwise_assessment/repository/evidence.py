"""Evidence records: work scored outside an attempt, one row per scored piece of work."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import EvidenceRecord

__all__ = ["add_record", "get_record"]


async def get_record(
    session: AsyncSession, district_id: uuid.UUID, evidence_id: uuid.UUID
) -> EvidenceRecord | None:
    found = await session.execute(
        select(EvidenceRecord).where(
            EvidenceRecord.district_id == district_id, EvidenceRecord.id == evidence_id
        )
    )
    return found.scalar_one_or_none()


async def add_record(session: AsyncSession, record: EvidenceRecord) -> None:
    """Insert (flushed at once: the primary key is what makes a second count impossible)."""
    session.add(record)
    await session.flush()
