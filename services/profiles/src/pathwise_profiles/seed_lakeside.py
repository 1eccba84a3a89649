"""The profiles part of district B (Lakeside Unified), the small second district of the
cross-tenant security tests (tests/security): one of each role, so every kind of caller of one
district can be pointed at the other's objects. Not part of ``make run``'s demo; the test stack
seeds it on request (through ``pathwise_profiles.seed.seed_district_b``, re-exported there).

Ids are deterministic (``demo_id``) and the seed is idempotent, like the demo district's.
"""

from datetime import date
from typing import Any

from pathwise_profiles.domain.profile import default_profile
from pathwise_profiles.domain.school_year import school_year_bounds
from pathwise_profiles.repository import demo as repo
from pathwise_profiles.service.change_log import record_rows
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

__all__ = ["DISTRICT_B", "DISTRICT_B_USERS", "build_district_b_rows", "seed_district_b"]

DISTRICT_B = demo_id("district", "lakeside")
LAKESIDE = demo_id("school", "lakeside-elementary")
# Usernames are unique across both districts so the development login needs no district_id.
DISTRICT_B_USERS: dict[str, str] = {
    "student": "lakeside-learner",
    "guardian": "lakeside-guardian",
    "teacher": "lakeside-teacher",
    "school_admin": "lakeside-admin-school",
    "district_admin": "lakeside-admin-district",
}


def build_district_b_rows(today: date) -> dict[str, list[dict[str, Any]]]:
    """Every row of district B, table by table, in insertion order (deterministic ids)."""
    now = utcnow()
    d = DISTRICT_B
    stamp = {"status": "active", "created_at": now, "updated_at": now}
    start, end = school_year_bounds(today)
    year_id = demo_id("session", f"lakeside-{start.year}")
    course_id = demo_id("course", "lakeside-math-grade3")
    class_id = demo_id("class", "lakeside-grade3-math")
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in repo.TABLES}
    rows["districts"].append(
        {"id": d, "name": "Lakeside Unified", "sourced_id": "lakeside", **stamp}
    )
    rows["schools"].append(
        {
            "id": LAKESIDE,
            "district_id": d,
            "name": "Lakeside Elementary",
            "identifier": "lakeside-elementary",
            "sourced_id": "lakeside-elementary",
            **stamp,
        }
    )
    rows["academic_sessions"].append(
        {
            "id": year_id,
            "district_id": d,
            "title": f"{start.year}-{end.year}",
            "type": "schoolYear",
            "start_date": start,
            "end_date": end,
            "parent_id": None,
            "school_year": end.year,
            "sourced_id": f"lakeside-sy-{start.year}",
            **stamp,
        }
    )
    rows["courses"].append(
        {
            "id": course_id,
            "district_id": d,
            "school_id": None,
            "title": "Mathematics 3",
            "course_code": "MATH3",
            "grades": ["03"],
            "sourced_id": "lakeside-math-grade3",
            **stamp,
        }
    )
    rows["classes"].append(
        {
            "id": class_id,
            "district_id": d,
            "school_id": LAKESIDE,
            "course_id": course_id,
            "session_id": year_id,
            "title": "Grade 3 Math (Lakeside)",
            "class_code": "LAKESIDE-GRADE3-MATH",
            "grade": "03",
            "grades": ["03"],
            "sourced_id": "lakeside-grade3-math",
            **stamp,
        }
    )
    people = {
        "student": ("Iris", "Holm", LAKESIDE),
        "guardian": ("Erik", "Holm", None),
        "teacher": ("Nora", "Berg", LAKESIDE),
        "school_admin": ("Ola", "Lund", LAKESIDE),
        "district_admin": ("Kari", "Dahl", None),
    }
    for role, (given, family, school) in people.items():
        username = DISTRICT_B_USERS[role]
        uid = demo_id("user", username)
        rows["users"].append(
            {
                "id": uid,
                "district_id": d,
                "username": username,
                "email": None if role == "student" else f"{username}@lakeside.example",
                "given_name": given,
                "family_name": family,
                "grade": "03" if role == "student" else None,
                "enabled": True,
                "sourced_id": username,
                **stamp,
            }
        )
        rows["user_roles"].append({"user_id": uid, "role": role, "district_id": d})
        if school is not None:
            rows["user_schools"].append({"user_id": uid, "school_id": school, "district_id": d})
    learner = demo_id("user", DISTRICT_B_USERS["student"])
    teacher = demo_id("user", DISTRICT_B_USERS["teacher"])
    for uid, role in ((teacher, "teacher"), (learner, "student")):
        rows["enrollments"].append(
            {
                "id": demo_id("enrollment", f"lakeside-grade3-math/{uid}"),
                "district_id": d,
                "class_id": class_id,
                "user_id": uid,
                "school_id": LAKESIDE,
                "role": role,
                "is_primary": role == "teacher",
                "begin_date": start,
                "end_date": end,
                "sourced_id": f"lakeside-grade3-math-{role}",
                **stamp,
            }
        )
    profile = default_profile()
    profile.update(
        {
            "learner_id": learner,
            "district_id": d,
            "interests": ["boats"],
            "created_at": now,
            "updated_at": now,
        }
    )
    rows["learner_profiles"].append(profile)
    rows["goals"].append(
        {
            "id": demo_id("goal", "lakeside-learner/0"),
            "district_id": d,
            "learner_id": learner,
            "term": "short",
            "title": "Understand fractions as parts of a whole",
            "skill_codes": ["3.NF.A.1"],
            "target_date": date(end.year, 1, 31),
            "status": "active",
            "progress": 0.1,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
    )
    guardian = demo_id("user", DISTRICT_B_USERS["guardian"])
    rows["guardian_links"].append(
        {
            "id": demo_id("guardian-link", f"{guardian}/{learner}"),
            "district_id": d,
            "guardian_id": guardian,
            "student_id": learner,
            "relationship": "parent",
            "sourced_id": None,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
    )
    return rows


async def seed_district_b(database_url: str) -> list[str]:
    """District B (idempotent: nothing is added when it exists)."""
    db = Database(database_url)
    try:
        async with unit_of_work(db) as session:
            present = await repo.district_exists(session, DISTRICT_B)
            if not present:
                rows = build_district_b_rows(utcnow().date())
                await repo.insert_rows(session, rows)
                record_rows(session, rows)
    finally:
        await db.dispose()
    if present:
        return ["profiles: district B (Lakeside Unified) already present"]
    return [
        "profiles: district B Lakeside Unified, 1 school, 1 class, one user of each role "
        f"({', '.join(DISTRICT_B_USERS.values())})"
    ]
