"""Every query of webhook endpoints, their deliveries and attempts, and inbound roster hooks."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.events.models import (
    event_deliveries,
    inbound_receipts,
    inbound_secrets,
    webhook_attempts,
    webhook_endpoints,
)

__all__ = [
    "delete_endpoint",
    "get_delivery",
    "get_endpoint",
    "get_inbound_secret",
    "insert_endpoint",
    "insert_receipt",
    "list_attempts",
    "list_deliveries",
    "list_endpoints",
    "requeue_deliveries",
    "requeue_failed_since",
    "save_inbound_secret",
    "update_endpoint",
]


async def insert_endpoint(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(webhook_endpoints.insert().values(**row))


async def get_endpoint(
    session: AsyncSession, district_id: uuid.UUID, client_id: str, endpoint_id: uuid.UUID
) -> Row[Any] | None:
    w = webhook_endpoints
    query = select(w).where(
        w.c.id == endpoint_id, w.c.district_id == district_id, w.c.client_id == client_id
    )
    return (await session.execute(query)).first()


async def list_endpoints(
    session: AsyncSession,
    district_id: uuid.UUID,
    client_id: str,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[Row[Any]]:
    w = webhook_endpoints
    query = select(w).where(w.c.district_id == district_id, w.c.client_id == client_id)
    if after is not None:
        query = query.where(w.c.id > after)
    return (await session.execute(query.order_by(w.c.id).limit(limit + 1))).all()


async def update_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, values: dict[str, Any]
) -> None:
    w = webhook_endpoints
    await session.execute(update(w).where(w.c.id == endpoint_id).values(**values))


async def delete_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    # Deliveries and attempts go with it (ON DELETE CASCADE; SQLite enforces it too).
    await session.execute(
        delete(webhook_attempts).where(
            webhook_attempts.c.delivery_id.in_(
                select(event_deliveries.c.id).where(event_deliveries.c.endpoint_id == endpoint_id)
            )
        )
    )
    await session.execute(
        delete(event_deliveries).where(event_deliveries.c.endpoint_id == endpoint_id)
    )
    await session.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))


async def list_deliveries(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[Row[Any]]:
    d = event_deliveries
    query = select(d).where(d.c.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(d.c.status == status)
    if after is not None:
        query = query.where(d.c.id > after)
    return (await session.execute(query.order_by(d.c.id).limit(limit + 1))).all()


async def get_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> Row[Any] | None:
    d = event_deliveries
    query = select(d).where(d.c.id == delivery_id, d.c.endpoint_id == endpoint_id)
    return (await session.execute(query)).first()


async def list_attempts(
    session: AsyncSession, delivery_id: uuid.UUID, limit: int = 50
) -> Sequence[Row[Any]]:
    a = webhook_attempts
    query = select(a).where(a.c.delivery_id == delivery_id).order_by(a.c.id.desc()).limit(limit)
    return (await session.execute(query)).all()


async def requeue_deliveries(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Back to pending, due now, with a fresh retry schedule (the attempt log is kept)."""
    d = event_deliveries
    await session.execute(
        update(d)
        .where(d.c.id.in_(delivery_ids))
        .values(status="pending", attempt_count=0, next_attempt_at=now, delivered_at=None)
    )


async def requeue_failed_since(
    session: AsyncSession, endpoint_id: uuid.UUID, since: datetime, now: datetime
) -> int:
    d = event_deliveries
    count_query = select(func.count()).where(
        d.c.endpoint_id == endpoint_id, d.c.status == "failed", d.c.created_at >= since
    )
    count = int((await session.execute(count_query)).scalar_one())
    if count:
        await session.execute(
            update(d)
            .where(d.c.endpoint_id == endpoint_id, d.c.status == "failed", d.c.created_at >= since)
            .values(status="pending", attempt_count=0, next_attempt_at=now)
        )
    return count


async def get_inbound_secret(session: AsyncSession, district_id: uuid.UUID) -> Row[Any] | None:
    query = select(inbound_secrets).where(inbound_secrets.c.district_id == district_id)
    return (await session.execute(query)).first()


async def save_inbound_secret(
    session: AsyncSession,
    district_id: uuid.UUID,
    secret: str,
    previous: str | None,
    previous_expires_at: datetime | None,
    now: datetime,
) -> None:
    values = {
        "secret": secret,
        "previous_secret": previous,
        "previous_secret_expires_at": previous_expires_at,
        "updated_at": now,
    }
    existing = await get_inbound_secret(session, district_id)
    if existing is None:
        await session.execute(
            inbound_secrets.insert().values(district_id=district_id, created_at=now, **values)
        )
    else:
        await session.execute(
            update(inbound_secrets)
            .where(inbound_secrets.c.district_id == district_id)
            .values(**values)
        )


async def insert_receipt(
    session: AsyncSession, district_id: uuid.UUID, webhook_id: str, now: datetime
) -> bool:
    """Record an inbound webhook-id; False when it was seen before (a duplicate)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(inbound_receipts)
        .values(district_id=district_id, webhook_id=webhook_id, received_at=now)
        .on_conflict_do_nothing()
        .returning(inbound_receipts.c.webhook_id)
    )
    return (await session.execute(statement)).first() is not None
