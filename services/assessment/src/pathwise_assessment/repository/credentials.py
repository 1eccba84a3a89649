"""Queries on issued credentials and the districts' signing keys (district-scoped)."""

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Credential, IssuerKey, MasteryState

__all__ = [
    "active_for_goal",
    "active_for_skill",
    "by_key",
    "get",
    "index_taken",
    "insert_key_if_absent",
    "is_mastered",
    "key_by_kid",
    "key_of",
    "list_for_learner",
    "lock_for_revoke",
    "mastered_codes",
    "revoked_indexes",
    "touch_revoked",
]

_KEYS = cast(Table, IssuerKey.__table__)


def _insert(session: AsyncSession, table: Table) -> Any:
    return (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )(table)


async def insert_key_if_absent(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert the district's first key unless one is there (two first issues at once: one key
    is stored, the other insert does nothing and both read the stored one)."""
    stmt = _insert(session, _KEYS).values(**row)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[_KEYS.c.district_id]))


async def key_of(session: AsyncSession, district_id: uuid.UUID) -> IssuerKey | None:
    found = await session.execute(select(IssuerKey).where(IssuerKey.district_id == district_id))
    return found.scalar_one_or_none()


async def key_by_kid(session: AsyncSession, kid: str) -> IssuerKey | None:
    found = await session.execute(select(IssuerKey).where(IssuerKey.kid == kid))
    return found.scalar_one_or_none()


async def is_mastered(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, skill_code: str
) -> bool:
    found = await session.execute(
        select(MasteryState.mastered).where(
            MasteryState.district_id == district_id,
            MasteryState.learner_id == learner_id,
            MasteryState.skill_code == skill_code,
        )
    )
    return bool(found.scalar_one_or_none())


async def mastered_codes(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, codes: list[str]
) -> set[str]:
    """Which of ``codes`` the learner has mastered now."""
    found = await session.execute(
        select(MasteryState.skill_code).where(
            MasteryState.district_id == district_id,
            MasteryState.learner_id == learner_id,
            MasteryState.skill_code.in_(codes),
            MasteryState.mastered.is_(True),
        )
    )
    return set(found.scalars())


async def by_key(session: AsyncSession, district_id: uuid.UUID, key: str) -> Credential | None:
    found = await session.execute(
        select(Credential).where(
            Credential.district_id == district_id, Credential.idempotency_key == key
        )
    )
    return found.scalar_one_or_none()


async def active_for_skill(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, skill_code: str
) -> Credential | None:
    found = await session.execute(
        select(Credential)
        .where(
            Credential.district_id == district_id,
            Credential.learner_id == learner_id,
            Credential.skill_code == skill_code,
            Credential.revoked_at.is_(None),
        )
        .limit(1)
    )
    return found.scalar_one_or_none()


async def active_for_goal(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, goal_id: uuid.UUID
) -> Credential | None:
    found = await session.execute(
        select(Credential)
        .where(
            Credential.district_id == district_id,
            Credential.learner_id == learner_id,
            Credential.goal_id == goal_id,
            Credential.revoked_at.is_(None),
        )
        .limit(1)
    )
    return found.scalar_one_or_none()


async def index_taken(session: AsyncSession, district_id: uuid.UUID, index: int) -> bool:
    found = await session.execute(
        select(Credential.id).where(
            Credential.district_id == district_id, Credential.status_index == index
        )
    )
    return found.first() is not None


async def get(
    session: AsyncSession, district_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential | None:
    found = await session.execute(
        select(Credential).where(
            Credential.district_id == district_id, Credential.id == credential_id
        )
    )
    return found.scalar_one_or_none()


async def list_for_learner(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    after: uuid.UUID | None,
    limit: int,
) -> list[Credential]:
    query = select(Credential).where(
        Credential.district_id == district_id, Credential.learner_id == learner_id
    )
    if after is not None:
        query = query.where(Credential.id > after)
    found = await session.execute(query.order_by(Credential.id).limit(limit + 1))
    return list(found.scalars())


async def revoked_indexes(session: AsyncSession, district_id: uuid.UUID) -> list[int]:
    found = await session.execute(
        select(Credential.status_index).where(
            Credential.district_id == district_id, Credential.revoked_at.is_not(None)
        )
    )
    return [int(i) for i in found.scalars()]


async def lock_for_revoke(
    session: AsyncSession, district_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential | None:
    """The credential, locked for the revocation (PostgreSQL; SQLite serializes writers)."""
    found = await session.execute(
        select(Credential)
        .where(Credential.district_id == district_id, Credential.id == credential_id)
        .with_for_update()
    )
    return found.scalar_one_or_none()


def touch_revoked(row: Credential, *, by: str, reason: str | None, now: datetime) -> None:
    row.revoked_at = now
    row.revoked_by = by
    row.revoke_reason = reason
