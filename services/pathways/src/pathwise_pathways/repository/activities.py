"""Queries on the activity catalogue and its skill alignment index."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.ranking import ActivityCard
from pathwise_pathways.models import Activity, ActivitySkill

__all__ = [
    "activity_cards_for_skills",
    "existing_ids",
    "get_activities",
    "get_activity",
    "insert_catalogue",
    "list_activities",
    "set_alignment",
]


async def get_activity(
    session: AsyncSession, district_id: uuid.UUID, activity_id: uuid.UUID
) -> Activity | None:
    stmt = select(Activity).where(Activity.id == activity_id, Activity.district_id == district_id)
    return (await session.scalars(stmt)).one_or_none()


async def get_activities(
    session: AsyncSession, district_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Activity]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    stmt = select(Activity).where(Activity.district_id == district_id, Activity.id.in_(wanted))
    return {a.id: a for a in (await session.scalars(stmt)).all()}


async def list_activities(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    limit: int,
    after: uuid.UUID | None,
    skill_code: str | None,
    format_: str | None,
) -> Sequence[Activity]:
    stmt = select(Activity).where(Activity.district_id == district_id)
    if skill_code is not None:
        stmt = stmt.join(ActivitySkill, ActivitySkill.activity_id == Activity.id).where(
            ActivitySkill.skill_code == skill_code
        )
    if format_ is not None:
        stmt = stmt.where(Activity.format == format_)
    if after is not None:
        stmt = stmt.where(Activity.id > after)
    return (await session.scalars(stmt.order_by(Activity.id).limit(limit + 1))).all()


# The choice boards' read, on every plan and replan: the columns a card needs as plain rows (an
# ORM object per activity was a sixth of a plan's CPU), the statement built once.
_CARDS_FOR_SKILLS = (
    select(
        ActivitySkill.skill_code,
        Activity.id,
        Activity.title,
        Activity.format,
        Activity.difficulty,
        Activity.minutes,
        Activity.languages,
        Activity.accessibility,
        Activity.interest_tags,
    )
    .join(Activity, Activity.id == ActivitySkill.activity_id)
    .where(
        ActivitySkill.district_id == bindparam("district_id"),
        ActivitySkill.skill_code.in_(bindparam("codes", expanding=True)),
    )
)


async def activity_cards_for_skills(
    session: AsyncSession, district_id: uuid.UUID, codes: Sequence[str]
) -> dict[str, list[ActivityCard]]:
    """Every activity aligned to each code, as the choice board ranks it, in one round trip."""
    if not codes:
        return {}
    rows = await session.execute(
        _CARDS_FOR_SKILLS, {"district_id": district_id, "codes": list(codes)}
    )
    found: dict[str, list[ActivityCard]] = {}
    for code, activity_id, title, fmt, difficulty, minutes, languages, access, tags in rows:
        card = ActivityCard(
            id=str(activity_id),
            title=title,
            format=fmt,
            difficulty=difficulty,
            minutes=minutes,
            languages=tuple(languages or ["en"]),
            accessibility=frozenset(access or []),
            interest_tags=frozenset(tags or []),
        )
        found.setdefault(code, []).append(card)
    return found


async def set_alignment(session: AsyncSession, activity: Activity, codes: Sequence[str]) -> None:
    await session.execute(delete(ActivitySkill).where(ActivitySkill.activity_id == activity.id))
    rows = [
        {"activity_id": activity.id, "skill_code": c, "district_id": activity.district_id}
        for c in dict.fromkeys(codes)
    ]
    if rows:
        await session.execute(insert(ActivitySkill), rows)


async def existing_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these activity ids are stored (any district: ids are global)."""
    return set(await session.scalars(select(Activity.id).where(Activity.id.in_(list(ids)))))


async def insert_catalogue(
    session: AsyncSession, district_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    """Activities as rows (with their ``skill_codes``) and their alignment, in two statements
    (the demo seed writes a whole catalogue at once)."""
    if not rows:
        return
    await session.execute(insert(Activity), list(rows))
    await session.execute(
        insert(ActivitySkill),
        [
            {"activity_id": r["id"], "skill_code": c, "district_id": district_id}
            for r in rows
            for c in r["skill_codes"]
        ],
    )
