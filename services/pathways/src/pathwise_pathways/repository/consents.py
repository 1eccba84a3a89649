"""Guardians' consents for off-site activities (docs/pathways.md, "Learning beyond the
classroom")."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import ActivityConsent, ConsentRequest

__all__ = ["consent_for", "consents_of", "record_request"]


async def consent_for(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, activity_id: uuid.UUID
) -> ActivityConsent | None:
    stmt = select(ActivityConsent).where(
        ActivityConsent.district_id == district_id,
        ActivityConsent.learner_id == learner_id,
        ActivityConsent.activity_id == activity_id,
    )
    return (await session.scalars(stmt)).one_or_none()


async def consents_of(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> Sequence[ActivityConsent]:
    stmt = (
        select(ActivityConsent)
        .where(ActivityConsent.district_id == district_id, ActivityConsent.learner_id == learner_id)
        .order_by(ActivityConsent.id)
    )
    return (await session.scalars(stmt)).all()


async def record_request(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, activity_id: uuid.UUID
) -> bool:
    """Note that the guardians were asked (True), or False when they were already. Two
    concurrent first refusals both find none; the primary key lets one commit (the other's
    unit of work fails on it and asks nobody)."""
    found = await session.get(ConsentRequest, (district_id, learner_id, activity_id))
    if found is not None:
        return False
    session.add(
        ConsentRequest(district_id=district_id, learner_id=learner_id, activity_id=activity_id)
    )
    await session.flush()
    return True
