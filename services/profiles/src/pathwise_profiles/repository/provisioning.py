"""The look-ups of district provisioning (``pathwise_profiles.provision``)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import districts, user_roles, users

__all__ = ["find_district", "find_user", "roles_of"]


async def find_district(
    session: AsyncSession, *, name: str, sourced_id: str | None
) -> uuid.UUID | None:
    """The active district with this sourced id (when given: it is unique), else this exact
    name; the oldest first (ids are time-ordered) should two share a name."""
    query = select(districts.c.id).where(districts.c.status == "active")
    if sourced_id is not None:
        query = query.where(districts.c.sourced_id == sourced_id)
    else:
        query = query.where(districts.c.name == name)
    found: uuid.UUID | None = (
        await session.execute(query.order_by(districts.c.id).limit(1))
    ).scalar_one_or_none()
    return found


async def find_user(
    session: AsyncSession, district_id: uuid.UUID, username: str
) -> uuid.UUID | None:
    query = select(users.c.id).where(
        users.c.district_id == district_id, users.c.username == username
    )
    found: uuid.UUID | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def roles_of(session: AsyncSession, user_id: uuid.UUID) -> set[str]:
    query = select(user_roles.c.role).where(user_roles.c.user_id == user_id)
    return set((await session.execute(query)).scalars())
