"""Events of the profiles service, written to its outbox in the caller's transaction.

Payloads are thin (ids and what changed), never accommodations or notes (docs/contracts.md).
"""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import outbox
from pathwise_shared.db.outbox import enqueue_event
from pathwise_shared.events import new_event

__all__ = ["emit"]


async def emit(
    session: AsyncSession,
    type_: str,
    district_id: uuid.UUID,
    subject: str,
    data: dict[str, Any],
) -> None:
    await enqueue_event(
        session, outbox, new_event(type_, district_id=district_id, subject=subject, data=data)
    )
