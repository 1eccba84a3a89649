"""Every query of the event store and the delivery queue (SQLAlchemy Core)."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.events.models import (
    event_deliveries,
    event_log,
    webhook_attempts,
    webhook_endpoints,
)

__all__ = [
    "DeliveryUpdate",
    "claim_due_deliveries",
    "clear_failing",
    "disable_endpoint",
    "enabled_endpoints",
    "insert_attempts",
    "insert_deliveries",
    "insert_new_events",
    "load_work",
    "mark_failing",
    "update_deliveries",
]

DeliveryUpdate = dict[str, Any]

# Insert an event unless its id is stored already; RETURNING names the rows actually inserted.
_INSERT_NEW_EVENTS = {
    is_pg: (postgresql.insert if is_pg else sqlite.insert)(event_log)
    .on_conflict_do_nothing(index_elements=[event_log.c.id])
    .returning(event_log.c.id)
    for is_pg in (False, True)
}


async def insert_new_events(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> set[uuid.UUID]:
    """Insert the events not stored yet; the ids actually inserted (a repeat is a no-op)."""
    if not rows:
        return set()
    statement = _INSERT_NEW_EVENTS[session.get_bind().dialect.name == "postgresql"]
    # Parameters apart from the statement: it is compiled once and cached, and SQLAlchemy sends
    # the rows as batched multi-row INSERTs ("insertmanyvalues"); ``.values(rows)`` would compile
    # a new statement for every batch, which was most of the ingest's time under load.
    return {row.id for row in await session.execute(statement, list(rows))}


async def enabled_endpoints(
    session: AsyncSession, district_ids: Iterable[uuid.UUID]
) -> Sequence[Any]:
    ids = set(district_ids)
    if not ids:
        return []
    query = select(
        webhook_endpoints.c.id, webhook_endpoints.c.district_id, webhook_endpoints.c.event_types
    ).where(webhook_endpoints.c.enabled.is_(True), webhook_endpoints.c.district_id.in_(ids))
    return (await session.execute(query)).all()


async def insert_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(event_deliveries.insert(), list(rows))


async def claim_due_deliveries(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> list[uuid.UUID]:
    """Take up to ``limit`` due deliveries: their next attempt moves to the end of the lease, so
    a dispatcher that dies holding them gives them back when it runs out. ``SKIP LOCKED`` lets
    dispatchers on several replicas (PostgreSQL) claim disjoint batches."""
    d = event_deliveries
    due = (
        select(d.c.id)
        .where(d.c.status == "pending", d.c.next_attempt_at <= now)
        .order_by(d.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(d)
        .where(d.c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until)
        .returning(d.c.id)
    )
    return [row.id for row in await session.execute(statement)]


async def load_work(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
    """What a dispatcher needs to send each delivery: the event, and the endpoint if any."""
    d, e, w = event_deliveries, event_log, webhook_endpoints
    query = (
        select(
            d.c.id,
            d.c.event_id,
            d.c.district_id,
            d.c.endpoint_id,
            d.c.subscriber,
            d.c.attempt_count,
            e.c.envelope,
            w.c.url,
            w.c.enabled,
            w.c.secret,
            w.c.previous_secret,
            w.c.previous_secret_expires_at,
            w.c.failing_since,
        )
        .join(e, e.c.id == d.c.event_id)
        .outerjoin(w, w.c.id == d.c.endpoint_id)
        .where(d.c.id.in_(ids))
    )
    return (await session.execute(query)).all()


async def insert_attempts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(webhook_attempts.insert(), list(rows))


_UPDATE_DELIVERY = (
    update(event_deliveries)
    .where(event_deliveries.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempt_count=bindparam("b_attempt_count"),
        next_attempt_at=bindparam("b_next_attempt_at"),
        last_attempt_at=bindparam("b_last_attempt_at"),
        last_status_code=bindparam("b_last_status_code"),
        last_error=bindparam("b_last_error"),
        delivered_at=bindparam("b_delivered_at"),
    )
)


async def update_deliveries(session: AsyncSession, updates: Sequence[DeliveryUpdate]) -> None:
    """Each update has the keys ``b_id``, ``b_status``, ``b_attempt_count``, … (one executemany)."""
    if updates:
        await session.execute(_UPDATE_DELIVERY, list(updates))


async def clear_failing(session: AsyncSession, endpoint_ids: Iterable[uuid.UUID]) -> None:
    ids = set(endpoint_ids)
    if ids:
        await session.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id.in_(ids), webhook_endpoints.c.failing_since.is_not(None))
            .values(failing_since=None)
        )


async def mark_failing(
    session: AsyncSession, endpoint_ids: Iterable[uuid.UUID], since: datetime
) -> None:
    ids = set(endpoint_ids)
    if ids:
        await session.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id.in_(ids), webhook_endpoints.c.failing_since.is_(None))
            .values(failing_since=since)
        )


async def disable_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, reason: str, now: datetime
) -> Row[Any] | None:
    """Disable an enabled endpoint; its row (for the event) or None if it already was."""
    w = webhook_endpoints
    statement = (
        update(w)
        .where(w.c.id == endpoint_id, w.c.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=now)
        .returning(w.c.id, w.c.district_id, w.c.url, w.c.failing_since)
    )
    return (await session.execute(statement)).first()
