"""Test support: the demo district plus a second district and edge cases, and principals.

Used by the services' tests and the root cross-service tests. It lives in the dev tool, not in the
service, so no test code ships with profiles (the import contracts in .importlinter forbid it).
"""

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert

from pathwise_devstack.testing import make_principal
from pathwise_profiles.domain.profile import default_profile
from pathwise_profiles.models import (
    classes,
    districts,
    enrollments,
    learner_profiles,
    schools,
    user_roles,
    user_schools,
    users,
)
from pathwise_profiles.seed import DEMO_DISTRICT, HILLCREST, insert_demo
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database, unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

__all__ = [
    "FORMER_TEACHER",
    "HILLCREST_ADMIN",
    "OTHER_ADMIN",
    "OTHER_CLASS",
    "OTHER_DISTRICT",
    "OTHER_LEARNER",
    "OTHER_SCHOOL",
    "OTHER_TEACHER",
    "as_learner",
    "as_user",
    "insert_fixtures",
    "learner",
    "user",
]

OTHER_DISTRICT = demo_id("district", "lakeside")
OTHER_SCHOOL = demo_id("school", "lakeside-elementary")
OTHER_CLASS = demo_id("class", "lakeside-grade4-math")
OTHER_TEACHER = demo_id("user", "lakeside-teacher")
OTHER_LEARNER = demo_id("learner", "lakeside-learner")
OTHER_ADMIN = demo_id("user", "lakeside-admin")
HILLCREST_ADMIN = demo_id("user", "admin-hillcrest")
FORMER_TEACHER = demo_id("user", "teacher-former")


def user(key: str) -> uuid.UUID:
    return demo_id("user", key)


def learner(n: int) -> uuid.UUID:
    return demo_id("learner", f"learner-{n:02d}")


def as_user(
    key_or_id: str | uuid.UUID, *roles: str, district: uuid.UUID = DEMO_DISTRICT
) -> Principal:
    uid = key_or_id if isinstance(key_or_id, uuid.UUID) else user(key_or_id)
    return make_principal(district, roles=roles, user_id=uid)


def as_learner(n: int) -> Principal:
    return make_principal(DEMO_DISTRICT, roles=["student"], user_id=learner(n))


def _stamp(now: Any) -> dict[str, Any]:
    return {"status": "active", "created_at": now, "updated_at": now}


async def insert_fixtures(db: Database) -> None:
    """A second district and a few edge cases the demo does not have."""
    now = utcnow()
    today = date.today()
    async with unit_of_work(db) as session:
        await insert_demo(session, today)
        await session.execute(
            insert(districts),
            [{"id": OTHER_DISTRICT, "name": "Lakeside", "sourced_id": "lakeside", **_stamp(now)}],
        )
        await session.execute(
            insert(schools),
            [
                {
                    "id": OTHER_SCHOOL,
                    "district_id": OTHER_DISTRICT,
                    "name": "Lakeside Elementary",
                    "identifier": None,
                    "sourced_id": "lk",
                    **_stamp(now),
                }
            ],
        )
        await session.execute(
            insert(classes),
            [
                {
                    "id": OTHER_CLASS,
                    "district_id": OTHER_DISTRICT,
                    "school_id": OTHER_SCHOOL,
                    "course_id": None,
                    "session_id": None,
                    "title": "Lakeside 4",
                    "class_code": None,
                    "grade": "04",
                    "grades": ["04"],
                    "sourced_id": "lk-4",
                    **_stamp(now),
                }
            ],
        )
        people = [
            (OTHER_TEACHER, OTHER_DISTRICT, "teacher", OTHER_SCHOOL, "lk-teacher"),
            (OTHER_LEARNER, OTHER_DISTRICT, "student", OTHER_SCHOOL, "lk-learner"),
            (OTHER_ADMIN, OTHER_DISTRICT, "district_admin", None, "lk-admin"),
            (HILLCREST_ADMIN, DEMO_DISTRICT, "school_admin", HILLCREST, "admin-hillcrest"),
            (
                FORMER_TEACHER,
                DEMO_DISTRICT,
                "teacher",
                demo_id("school", "riverside-elementary"),
                "teacher-former",
            ),
        ]
        for uid, district, role, school, username in people:
            await session.execute(
                insert(users),
                [
                    {
                        "id": uid,
                        "district_id": district,
                        "username": username,
                        "email": None,
                        "given_name": username,
                        "family_name": "Test",
                        "grade": "04" if role == "student" else None,
                        "enabled": True,
                        "sourced_id": username,
                        **_stamp(now),
                    }
                ],
            )
            await session.execute(
                insert(user_roles), [{"user_id": uid, "role": role, "district_id": district}]
            )
            if school is not None:
                await session.execute(
                    insert(user_schools),
                    [{"user_id": uid, "school_id": school, "district_id": district}],
                )
        await session.execute(
            insert(learner_profiles),
            [
                {
                    **default_profile(),
                    "learner_id": OTHER_LEARNER,
                    "district_id": OTHER_DISTRICT,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        grade4 = demo_id("class", "grade4-math")
        riverside = demo_id("school", "riverside-elementary")
        await session.execute(
            insert(enrollments),
            [
                {
                    "id": uuid.uuid4(),
                    "district_id": OTHER_DISTRICT,
                    "class_id": OTHER_CLASS,
                    "user_id": OTHER_TEACHER,
                    "school_id": OTHER_SCHOOL,
                    "role": "teacher",
                    "is_primary": True,
                    "begin_date": None,
                    "end_date": None,
                    "sourced_id": None,
                    **_stamp(now),
                },
                {
                    "id": uuid.uuid4(),
                    "district_id": OTHER_DISTRICT,
                    "class_id": OTHER_CLASS,
                    "user_id": OTHER_LEARNER,
                    "school_id": OTHER_SCHOOL,
                    "role": "student",
                    "is_primary": False,
                    "begin_date": None,
                    "end_date": None,
                    "sourced_id": None,
                    **_stamp(now),
                },
                # A teacher whose enrollment in grade 4 ended last month: no longer shares a class.
                {
                    "id": uuid.uuid4(),
                    "district_id": DEMO_DISTRICT,
                    "class_id": grade4,
                    "user_id": FORMER_TEACHER,
                    "school_id": riverside,
                    "role": "teacher",
                    "is_primary": False,
                    "begin_date": today - timedelta(days=200),
                    "end_date": today - timedelta(days=30),
                    "sourced_id": None,
                    **_stamp(now),
                },
            ],
        )
