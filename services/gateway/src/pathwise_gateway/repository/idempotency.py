"""Queries of ``idempotency_keys``."""

from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from pathwise_gateway.models import IdempotencyRecord

__all__ = ["claim", "find", "forget", "purge_expired", "store_response"]

_T: Table = IdempotencyRecord.__table__  # type: ignore[assignment]


async def claim(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert the placeholder row; raises IntegrityError when the key is already taken."""
    await conn.execute(insert(_T).values(**values))


async def find(conn: AsyncConnection, principal: str, key: str) -> Row[Any] | None:
    result = await conn.execute(select(_T).where(_T.c.principal == principal, _T.c.key == key))
    return result.first()


async def store_response(
    conn: AsyncConnection,
    principal: str,
    key: str,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    await conn.execute(
        update(_T)
        .where(_T.c.principal == principal, _T.c.key == key)
        .values(status=status, headers=headers, body=body)
    )


async def forget(conn: AsyncConnection, principal: str, key: str) -> None:
    await conn.execute(delete(_T).where(_T.c.principal == principal, _T.c.key == key))


async def purge_expired(conn: AsyncConnection, now: datetime) -> None:
    await conn.execute(delete(_T).where(_T.c.expires_at < now))
