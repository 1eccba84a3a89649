"""The demo seed's queries: is a district there, and bulk inserts of prepared rows by table name."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import (
    academic_sessions,
    classes,
    courses,
    districts,
    enrollments,
    goal_comments,
    goals,
    guardian_links,
    learner_profiles,
    reflection_replies,
    reflections,
    schools,
    survey_assignments,
    surveys,
    user_roles,
    user_schools,
    users,
)

__all__ = ["TABLES", "district_exists", "insert_rows"]

# In insertion order: every table after the ones its foreign keys point at.
TABLES = {
    "districts": districts,
    "schools": schools,
    "academic_sessions": academic_sessions,
    "courses": courses,
    "classes": classes,
    "users": users,
    "user_roles": user_roles,
    "user_schools": user_schools,
    "enrollments": enrollments,
    "learner_profiles": learner_profiles,
    "goals": goals,
    "guardian_links": guardian_links,
    "goal_comments": goal_comments,
    "reflections": reflections,
    "reflection_replies": reflection_replies,
    "surveys": surveys,
    "survey_assignments": survey_assignments,
}


async def district_exists(session: AsyncSession, district_id: uuid.UUID) -> bool:
    found = await session.scalar(select(districts.c.id).where(districts.c.id == district_id))
    return found is not None


async def insert_rows(session: AsyncSession, rows: Mapping[str, list[dict[str, Any]]]) -> None:
    """One multi-row insert per table, in the order of ``rows`` (built from ``TABLES``)."""
    for name, values in rows.items():
        if values:
            await session.execute(insert(TABLES[name]), values)
