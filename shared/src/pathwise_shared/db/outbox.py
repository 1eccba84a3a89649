"""The transactional outbox: an event is a row written in the same transaction as its change.

A relay (see ``pathwise_shared.relay``) later sends unpublished rows to the gateway's event ingest.
"""

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, Uuid
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.db.types import UTCDateTime
from pathwise_shared.events import EventEnvelope

__all__ = ["enqueue_event", "outbox_table"]


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("district_id", Uuid, nullable=True),
        Column("subject", String(200), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )


async def enqueue_event(session: AsyncSession, table: Table, envelope: EventEnvelope) -> None:
    """Add the event to the caller's transaction; it commits or rolls back with the change."""
    await session.execute(
        table.insert().values(
            id=envelope.id,
            event_type=envelope.type,
            district_id=envelope.district_id,
            subject=envelope.subject,
            envelope=envelope.model_dump(mode="json"),
            occurred_at=envelope.occurred_at,
        )
    )
