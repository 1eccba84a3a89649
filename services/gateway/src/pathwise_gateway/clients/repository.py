"""Queries of ``api_clients``."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.models import ApiClient

__all__ = ["add_client", "get_by_client_id", "list_clients"]


async def get_by_client_id(session: AsyncSession, client_id: str) -> ApiClient | None:
    result = await session.execute(select(ApiClient).where(ApiClient.client_id == client_id))
    return result.scalar_one_or_none()


async def add_client(session: AsyncSession, client: ApiClient) -> None:
    session.add(client)
    await session.flush()


async def list_clients(
    session: AsyncSession, district_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Sequence[ApiClient]:
    query = select(ApiClient).where(ApiClient.district_id == district_id)
    if after is not None:
        query = query.where(ApiClient.id > after)
    result = await session.execute(query.order_by(ApiClient.id).limit(limit + 1))
    return result.scalars().all()
