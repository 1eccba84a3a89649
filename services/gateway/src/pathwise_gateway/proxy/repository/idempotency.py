"""Queries of ``idempotency_keys``.

Every change after the insert names the row by its id, not by (principal, key): a gateway whose
lease ran out must not overwrite or delete the record a retry has taken over since.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from pathwise_gateway.models import IdempotencyRecord

__all__ = [
    "claim",
    "find",
    "forget",
    "forget_expired",
    "purge_expired",
    "store_response",
    "take_over",
]

_T: Table = IdempotencyRecord.__table__  # type: ignore[assignment]


async def claim(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert the placeholder row; raises IntegrityError when the key is already taken."""
    await conn.execute(insert(_T).values(**values))


async def find(conn: AsyncConnection, principal: str, key: str) -> Row[Any] | None:
    result = await conn.execute(select(_T).where(_T.c.principal == principal, _T.c.key == key))
    return result.first()


async def store_response(
    conn: AsyncConnection,
    record_id: uuid.UUID,
    status: int,
    headers: dict[str, str],
    body: bytes,
    expires_at: datetime,
) -> bool:
    """The answer on our own placeholder; False when the placeholder is no longer ours."""
    result = await conn.execute(
        update(_T)
        .where(_T.c.id == record_id, _T.c.status.is_(None))
        .values(status=status, headers=headers, body=body, expires_at=expires_at)
    )
    return bool(result.rowcount)


async def forget(conn: AsyncConnection, record_id: uuid.UUID) -> None:
    await conn.execute(delete(_T).where(_T.c.id == record_id, _T.c.status.is_(None)))


async def forget_expired(conn: AsyncConnection, record_id: uuid.UUID, now: datetime) -> None:
    """Drop a record whose time is up (an answer past retention, a placeholder past its lease);
    a no-op when a concurrent retry already replaced it."""
    await conn.execute(delete(_T).where(_T.c.id == record_id, _T.c.expires_at < now))


async def purge_expired(conn: AsyncConnection, now: datetime) -> None:
    await conn.execute(delete(_T).where(_T.c.expires_at < now))


async def take_over(
    conn: AsyncConnection, record_id: uuid.UUID, now: datetime, lease_until: datetime
) -> bool:
    """Renew the lease of a placeholder whose lease ran out (its gateway crashed or gave up);
    True for exactly one of several retries racing for it."""
    result = await conn.execute(
        update(_T)
        .where(_T.c.id == record_id, _T.c.status.is_(None), _T.c.expires_at < now)
        .values(expires_at=lease_until)
    )
    return bool(result.rowcount)
