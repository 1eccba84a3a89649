"""Queries of ``audit_log``: append and read, never update. Entries are deleted only by the
district's retention policy (``service/audit_retention.py``), the oldest first."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from pathwise_gateway.models import ApiClient, AuditEntry

__all__ = ["append_entries", "client_names", "delete_older", "list_entries"]


async def append_entries(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await conn.execute(insert(AuditEntry), list(rows))


async def list_entries(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    learner_id: uuid.UUID | None,
    actor: str | None,
    before: uuid.UUID | None,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    operation: str | None = None,
) -> Sequence[AuditEntry]:
    """Newest first (ids are UUIDv7, so id order is time order); ``limit + 1`` rows so the
    caller knows whether there is a next page."""
    query = select(AuditEntry).where(AuditEntry.district_id == district_id)
    if learner_id is not None:
        query = query.where(AuditEntry.learner_id == learner_id)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if operation is not None:
        query = query.where(AuditEntry.operation == operation)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    result = await session.execute(query.order_by(AuditEntry.id.desc()).limit(limit + 1))
    return result.scalars().all()


async def client_names(
    session: AsyncSession, district_id: uuid.UUID, client_ids: Sequence[str]
) -> dict[str, str]:
    """The names of the district's integration clients among ``client_ids`` (revoked ones
    too: the log outlives a credential); one statement for a page."""
    if not client_ids:
        return {}
    result = await session.execute(
        select(ApiClient.client_id, ApiClient.name).where(
            ApiClient.district_id == district_id, ApiClient.client_id.in_(list(client_ids))
        )
    )
    return {client_id: name for client_id, name in result.tuples()}


async def delete_older(
    session: AsyncSession, district_id: uuid.UUID, cutoff: datetime, limit: int
) -> int:
    """Delete at most ``limit`` of the district's entries that occurred before ``cutoff``, the
    oldest first (the district's id index, in id order, which is time order); how many."""
    ids = (
        (
            await session.execute(
                select(AuditEntry.id)
                .where(AuditEntry.district_id == district_id, AuditEntry.occurred_at < cutoff)
                .order_by(AuditEntry.id)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    if ids:
        await session.execute(
            delete(AuditEntry).where(AuditEntry.district_id == district_id, AuditEntry.id.in_(ids))
        )
    return len(ids)
