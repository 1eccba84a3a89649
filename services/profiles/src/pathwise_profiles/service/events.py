"""Events of the profiles service, written to its outbox in the caller's transaction.

Payloads are thin (ids and what changed), never accommodations or notes (docs/contracts.md).
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import event_sequences, outbox
from pathwise_profiles.repository.imports import insert_many
from pathwise_shared.db.outbox import outbox_row, publish, sequence_events
from pathwise_shared.events import EventEnvelope, new_event

__all__ = ["emit", "emit_many"]


async def emit(
    session: AsyncSession,
    type_: str,
    district_id: uuid.UUID,
    subject: str,
    data: dict[str, Any],
) -> EventEnvelope:
    """The event as written (numbered), for a caller that acts on it in the same transaction."""
    # The session knows the service's outbox (its Database was made with it).
    return await publish(
        session, new_event(type_, district_id=district_id, subject=subject, data=data)
    )


async def emit_many(
    session: AsyncSession,
    district_id: uuid.UUID,
    events: Sequence[tuple[str, str, dict[str, Any]]],
) -> None:
    """Many ``(type, subject, data)`` events in one statement (imports emit thousands), numbered
    with one counter bump per subject."""
    if not events:
        return
    envelopes = [
        new_event(type_, district_id=district_id, subject=subject, data=data)
        for type_, subject, data in events
    ]
    # Not ``publish_many``: an import of a district emits one event per new learner (100k+), and
    # the import's own fast executemany (repository.imports.insert_many) is several times quicker
    # than SQLAlchemy's per-row parameter handling there (docs/profiles.md).
    numbered = await sequence_events(session, event_sequences, envelopes)
    await insert_many(session, outbox, [outbox_row(envelope) for envelope in numbered])
