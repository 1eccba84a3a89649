"""The profiles part of the demo district (``make run``): roster, learners, profiles, guardians.

Ids are deterministic (``demo_id``) so the other services can seed against them without asking,
and the seed is idempotent: when the district already exists it adds nothing. The small second
district of the security tests (district B, Lakeside) is ``seed_lakeside``'s.
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.profile import default_profile, default_restrictions
from pathwise_profiles.domain.school_year import school_year_bounds
from pathwise_profiles.repository import demo as repo
from pathwise_profiles.seed_lakeside import seed_district_b
from pathwise_profiles.service.change_log import record_rows
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

# seed_district_b is re-exported: pathwise_devstack.seed looks each service's seeds up in its
# ``seed`` module (seed_demo, and seed_district_b when the service has a part of district B).
__all__ = [
    "DEMO_DISTRICT",
    "build_demo_rows",
    "insert_demo",
    "seed_demo",
    "seed_district_b",
]

DEMO_DISTRICT = demo_id("district", "riverside")
RIVERSIDE = demo_id("school", "riverside-elementary")
HILLCREST = demo_id("school", "hillcrest-elementary")

_FIRST = [
    "Maya", "Liam", "Sofia", "Noah", "Amara", "Ethan", "Linh", "Omar", "Chloe", "Mateo",
    "Ava", "Khalid", "Isabella", "Lucas", "Mai", "Elijah", "Zara", "Diego", "Grace", "Minh",
    "Layla", "Henry", "Valentina", "Samuel", "Nadia", "Leo", "Camila", "Yusuf", "Harper", "Bao",
    "Ruby", "Tariq", "Elena",
]  # fmt: skip
_LAST = [
    "Lopez", "Johnson", "Garcia", "Smith", "Okafor", "Brown", "Nguyen", "Haddad", "Martin",
    "Hernandez", "Wilson", "Rahman", "Rodriguez", "Lee", "Tran", "Davis", "Ali", "Morales",
    "Clark", "Pham", "Mansour", "Walker", "Cruz", "Young", "Saleh", "King", "Reyes", "Aziz",
    "Scott", "Le", "Baker", "Hassan", "Flores",
]  # fmt: skip
_INTERESTS = [
    ["space", "robots"], ["animals", "drawing"], ["soccer", "music"], ["cooking", "gardening"],
    ["dinosaurs", "space"], ["basketball", "video games"], ["art", "fashion"], ["music", "dance"],
    ["animals", "ocean"], ["sports", "cars"],
]  # fmt: skip
_FORMATS = [
    ["video", "interactive"], ["hands_on", "text"], ["audio", "video"], ["interactive"],
    ["text", "hands_on"], ["video"],
]  # fmt: skip
_STRENGTHS = [
    ["mental math", "curiosity"], ["visual reasoning"], ["persistence", "explaining ideas"],
    ["pattern spotting"], ["working with others"], ["careful work", "drawing models"],
]  # fmt: skip
_NEEDS = [
    ["fraction sense"], ["multi-step word problems"], ["math facts fluency"],
    ["reading longer problems"], ["staying focused in long tasks"], ["place value"],
]  # fmt: skip
# Home languages (BCP 47) with English-learner proficiency (WIDA-style 1-6) for some learners.
_LANGUAGES: dict[int, tuple[list[str], int | None]] = {
    3: (["es"], 2), 8: (["vi"], 3), 10: (["es"], 4), 14: (["ar"], 2), 17: (["es"], 5),
    20: (["vi"], 3), 22: (["ar"], 4), 27: (["es"], 1), 32: (["es"], 3),
}  # fmt: skip
_ACCOMMODATIONS: dict[int, list[dict[str, Any]]] = {
    2: [{"term": "extended_time", "factor": 1.5}],
    5: [{"term": "text_to_speech"}, {"term": "reduced_distraction"}],
    9: [{"term": "large_print"}],
    12: [{"term": "extended_time", "factor": 1.5}, {"term": "breaks"}],
    16: [{"term": "text_to_speech"}],
    23: [{"term": "extended_time", "factor": 2.0}, {"term": "scribe"}],
    26: [{"term": "large_print"}, {"term": "high_contrast"}],
    31: [{"term": "breaks"}],
}
_GOALS = {
    "3": [("Understand fractions as parts of a whole", ["3.NF.A.1", "3.NF.A.2"]),
          ("Multiply and divide within 100", ["3.OA.A.1", "3.OA.C.7"])],
    "4": [("Multiply multi-digit numbers", ["4.NBT.B.5"]),
          ("Compare and order fractions", ["4.NF.A.1", "4.NF.A.2"])],
    "5": [("Add and subtract fractions with unlike denominators", ["5.NF.A.1", "5.NF.A.2"]),
          ("Read and write decimals to thousandths", ["5.NBT.A.3"])],
}  # fmt: skip


def _grade_of(n: int) -> str:
    if n > 30:
        return "4"
    return str(3 + (n - 1) // 10)


def build_demo_rows(today: date) -> dict[str, list[dict[str, Any]]]:
    """Every row of the demo district, table by table, in insertion order."""
    now = utcnow()
    d = DEMO_DISTRICT
    stamp = {"status": "active", "created_at": now, "updated_at": now}
    start, end = school_year_bounds(today)
    year_id = demo_id("session", f"riverside-{start.year}")
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in repo.TABLES}
    rows["districts"].append(
        {"id": d, "name": "Riverside Unified", "sourced_id": "riverside", **stamp}
    )
    for sid, key, name in (
        (RIVERSIDE, "riverside-elementary", "Riverside Elementary"),
        (HILLCREST, "hillcrest-elementary", "Hillcrest Elementary"),
    ):
        rows["schools"].append(
            {
                "id": sid,
                "district_id": d,
                "name": name,
                "identifier": key,
                "sourced_id": key,
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
            "sourced_id": f"sy-{start.year}",
            **stamp,
        }
    )
    for grade in ("3", "4", "5"):
        rows["courses"].append(
            {
                "id": demo_id("course", f"math-grade{grade}"),
                "district_id": d,
                "school_id": None,
                "title": f"Mathematics {grade}",
                "course_code": f"MATH{grade}",
                "grades": [f"0{grade}"],
                "sourced_id": f"math-grade{grade}",
                **stamp,
            }
        )
    class_specs = [
        ("grade3-math", RIVERSIDE, "3", "teacher-01", range(1, 11)),
        ("grade4-math", RIVERSIDE, "4", "teacher-02", range(11, 21)),
        ("grade5-math", RIVERSIDE, "5", "teacher-03", range(21, 31)),
        ("hillcrest-grade4-math", HILLCREST, "4", "teacher-04", range(31, 34)),
    ]
    for key, school, grade, _teacher, _learners in class_specs:
        rows["classes"].append(
            {
                "id": demo_id("class", key),
                "district_id": d,
                "school_id": school,
                "course_id": demo_id("course", f"math-grade{grade}"),
                "session_id": year_id,
                "title": f"Grade {grade} Math" + (" (Hillcrest)" if school == HILLCREST else ""),
                "class_code": key.upper(),
                "grade": f"0{grade}",
                "grades": [f"0{grade}"],
                "sourced_id": key,
                **stamp,
            }
        )

    def add_user(
        uid: uuid.UUID,
        username: str,
        given: str,
        family: str,
        role: str,
        school: uuid.UUID | None,
        grade: str | None = None,
    ) -> None:
        rows["users"].append(
            {
                "id": uid,
                "district_id": d,
                "username": username,
                "email": None if role == "student" else f"{username}@riverside.example",
                "given_name": given,
                "family_name": family,
                "grade": grade,
                "enabled": True,
                "preferred_language": _PREFERRED_LANGUAGE.get(username),
                "sourced_id": username,
                **stamp,
            }
        )
        rows["user_roles"].append({"user_id": uid, "role": role, "district_id": d})
        if school is not None:
            rows["user_schools"].append({"user_id": uid, "school_id": school, "district_id": d})

    teacher_names = [("Ana", "Rivera"), ("Ben", "Carter"), ("Priya", "Shah"), ("Tom", "Okoye")]
    for i, (given, family) in enumerate(teacher_names, start=1):
        key = f"teacher-{i:02d}"
        add_user(
            demo_id("user", key), key, given, family, "teacher", HILLCREST if i == 4 else RIVERSIDE
        )
    add_user(
        demo_id("user", "admin-riverside-elementary"),
        "admin-riverside-elementary",
        "Rosa",
        "Delgado",
        "school_admin",
        RIVERSIDE,
    )
    add_user(
        demo_id("user", "admin-district"),
        "admin-district",
        "Marcus",
        "Bell",
        "district_admin",
        None,
    )

    for key, school, grade, teacher, learner_numbers in class_specs:
        class_id = demo_id("class", key)
        teacher_id = demo_id("user", teacher)
        rows["enrollments"].append(
            {
                "id": demo_id("enrollment", f"{key}/{teacher}"),
                "district_id": d,
                "class_id": class_id,
                "user_id": teacher_id,
                "school_id": school,
                "role": "teacher",
                "is_primary": True,
                "begin_date": start,
                "end_date": end,
                "sourced_id": f"{key}-{teacher}",
                **stamp,
            }
        )
        for n in learner_numbers:
            lkey = f"learner-{n:02d}"
            lid = demo_id("learner", lkey)
            add_user(lid, lkey, _FIRST[n - 1], _LAST[n - 1], "student", school, f"0{grade}")
            rows["enrollments"].append(
                {
                    "id": demo_id("enrollment", f"{key}/{lkey}"),
                    "district_id": d,
                    "class_id": class_id,
                    "user_id": lid,
                    "school_id": school,
                    "role": "student",
                    "is_primary": False,
                    "begin_date": start,
                    "end_date": end,
                    "sourced_id": f"{key}-{lkey}",
                    **stamp,
                }
            )
            rows["learner_profiles"].append(_profile(n, lid, now))
            for g, (title, codes) in enumerate(_GOALS[grade]):
                if g == 1 and n % 2:
                    continue  # every learner has a short-term goal, half also a long-term one
                rows["goals"].append(
                    {
                        "id": demo_id("goal", f"{lkey}/{g}"),
                        "district_id": d,
                        "learner_id": lid,
                        "term": "short" if g == 0 else "long",
                        "title": title,
                        "skill_codes": codes,
                        "target_date": date(end.year, 1 if g == 0 else 5, 31),
                        "status": "active",
                        "progress": round((n * 7 % 60) / 100, 2),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            gkey = f"guardian-{n:02d}"
            add_user(
                demo_id("user", gkey), gkey, _guardian_first(n), _LAST[n - 1], "guardian", None
            )
            _link(rows, demo_id("user", gkey), lid, "parent", now)
    # Siblings: one guardian with two children in different grades.
    _link(rows, demo_id("user", "guardian-05"), demo_id("learner", "learner-15"), "parent", now)
    _add_voice(rows, now)
    _add_completed_goal(rows, end, now)
    _add_survey(rows, now)
    return rows


# A student voice survey (docs/profiles.md, "Student voice surveys"): teacher-02 sent one to
# grade 4 math; learners 11, 14 and 19 answered (none consented to a profile change, so the
# seeded profiles stay as above), the others have it open.
_SURVEY_QUESTIONS: list[dict[str, Any]] = [
    {"id": "q1", "kind": "multiple_choice", "prompt": "Which of these are you into?",
     "options": ["space", "animals", "music", "sports", "art"], "maps_to": "interests"},
    {"id": "q2", "kind": "multiple_choice", "prompt": "How do you like to learn something new?",
     "options": ["video", "text", "audio", "interactive", "hands_on"],
     "maps_to": "preferred_formats"},
    {"id": "q3", "kind": "single_choice", "prompt": "How fast do you like to go?",
     "options": ["slower", "steady", "faster"], "maps_to": "pace"},
    {"id": "q4", "kind": "scale", "prompt": "How much do you enjoy math right now? (1-5)",
     "options": [], "maps_to": None},
    {"id": "q5", "kind": "short_text", "prompt": "What would make math class better for you?",
     "options": [], "maps_to": None},
]  # fmt: skip
_SURVEY_ANSWERS: dict[int, tuple[list[str], list[str], str, int, str]] = {
    11: (["sports", "music"], ["video"], "steady", 4, "More games in pairs."),
    14: (["animals"], ["hands_on", "interactive"], "slower", 3, "Time to finish the problems."),
    19: (["space", "art"], ["interactive"], "faster", 5, "Harder puzzles!"),
}


def _add_survey(rows: dict[str, list[dict[str, Any]]], now: Any) -> None:
    survey_id = demo_id("survey", "grade4-math/learning")
    teacher = str(demo_id("user", "teacher-02"))
    rows["surveys"].append(
        {
            "id": survey_id,
            "district_id": DEMO_DISTRICT,
            "title": "How I like to learn",
            "questions": _SURVEY_QUESTIONS,
            "created_by": teacher,
            "created_by_role": "teacher",
            "created_at": now,
        }
    )
    for n in range(11, 21):
        lkey = f"learner-{n:02d}"
        given = _SURVEY_ANSWERS.get(n)
        answers = None
        if given is not None:
            values: list[Any] = list(given)
            answers = [
                {"question_id": f"q{i + 1}", "value": value, "apply_to_profile": False}
                for i, value in enumerate(values)
            ]
        rows["survey_assignments"].append(
            {
                "id": demo_id("survey-assignment", f"grade4-math/learning/{lkey}"),
                "district_id": DEMO_DISTRICT,
                "survey_id": survey_id,
                "learner_id": demo_id("learner", lkey),
                "class_id": demo_id("class", "grade4-math"),
                "sent_by": teacher,
                "sent_at": now,
                "answered_at": None if answers is None else now,
                "answers": answers,
                "applied_fields": None if answers is None else [],
            }
        )


# A goal learner-26 has completed: its one target skill is the one assessment's live seed has
# them master by answering, and for which it then asks a goal credential (docs/assessment.md,
# "Demo"). Seeded here, straight into the database, because the services' live seeds run at once
# and assessment's must find the goal completed without waiting on another live seed. Not
# active, so no pathway plans toward it.
COMPLETED_GOAL_LEARNER = "learner-26"
COMPLETED_GOAL_KEY = f"{COMPLETED_GOAL_LEARNER}/completed"
COMPLETED_GOAL = ("Add fractions with unlike denominators", ["5.NF.A.1"])


def _add_completed_goal(rows: dict[str, list[dict[str, Any]]], end: date, now: Any) -> None:
    title, codes = COMPLETED_GOAL
    rows["goals"].append(
        {
            "id": demo_id("goal", COMPLETED_GOAL_KEY),
            "district_id": DEMO_DISTRICT,
            "learner_id": demo_id("learner", COMPLETED_GOAL_LEARNER),
            "term": "short",
            "title": title,
            "skill_codes": codes,
            "target_date": date(end.year, 1, 31),
            "status": "achieved",
            "progress": 1.0,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "why": None,
            "co_signed_by": None,
            "co_signed_at": None,
            "completed_at": now,
        }
    )


# The learner's voice (docs/profiles.md, "Student-owned goals", "Reflections"): a few learners'
# goals say why they matter, carry a teacher's comment and co-sign; a few reflections with a
# reply. Learners 12, 13 (grade 4, teacher-02) and 21 (grade 5, teacher-03): no test's own
# learners. learner-12 shares reflections with guardians; the others keep the default.
_WHY = {
    12: "I want to build a treehouse with my dad and measure the wood myself.",
    13: "My sister is in grade 6 and I want to keep up with her homework.",
    21: "I bake with my grandma and the recipes use fractions.",
}
_VOICE_TEACHERS = {12: "teacher-02", 13: "teacher-02", 21: "teacher-03"}
# learner → (skill code, confidence, journal, the teacher's reply or None)
_REFLECTIONS: dict[int, list[tuple[str, int, str | None, str | None]]] = {
    12: [
        ("4.NBT.B.5", 4, "I can do these in my head now.", None),
        ("4.NF.A.1", 2, "Equivalent fractions confuse me when the numbers are big.",
         "Try drawing the bars first. You did this well on Tuesday!"),
    ],
    13: [("4.NBT.B.5", 1, None, "You got 4 of 5 right last time. More than you think!")],
    21: [("5.NF.A.1", 3, "Common denominators make sense now.", None)],
}  # fmt: skip


def _add_voice(rows: dict[str, list[dict[str, Any]]], now: Any) -> None:
    d = DEMO_DISTRICT
    for goal in rows["goals"]:
        goal.update(why=None, co_signed_by=None, co_signed_at=None, completed_at=None)
    by_id = {goal["id"]: goal for goal in rows["goals"]}
    for n, why in _WHY.items():
        lkey = f"learner-{n:02d}"
        learner_id = demo_id("learner", lkey)
        teacher = str(demo_id("user", _VOICE_TEACHERS[n]))
        goal = by_id[demo_id("goal", f"{lkey}/0")]
        goal["why"] = why
        rows["goal_comments"].append(
            {
                "id": demo_id("goal-comment", f"{lkey}/0/1"),
                "district_id": d,
                "goal_id": goal["id"],
                "learner_id": learner_id,
                "author": teacher,
                "author_role": "teacher",
                "body": "A good goal. Let's check in on it every Friday.",
                "created_at": now,
            }
        )
        if n != 13:  # learner-13's goal waits for its co-sign
            goal.update(co_signed_by=teacher, co_signed_at=now)
        for i, (code, confidence, journal, reply) in enumerate(_REFLECTIONS[n]):
            reflection_id = demo_id("reflection", f"{lkey}/{i}")
            rows["reflections"].append(
                {
                    "id": reflection_id,
                    "district_id": d,
                    "learner_id": learner_id,
                    "target_kind": "skill",
                    "step_id": None,
                    "skill_code": code,
                    "goal_id": None,
                    "confidence": confidence,
                    "journal": journal,
                    "created_at": now,
                }
            )
            if reply is not None:
                rows["reflection_replies"].append(
                    {
                        "id": demo_id("reflection-reply", f"{lkey}/{i}/1"),
                        "district_id": d,
                        "reflection_id": reflection_id,
                        "learner_id": learner_id,
                        "author": teacher,
                        "author_role": "teacher",
                        "body": reply,
                        "created_at": now,
                    }
                )
    for profile in rows["learner_profiles"]:
        if profile["learner_id"] == demo_id("learner", "learner-12"):
            profile["sharing"]["reflections"]["guardians"] = True


# Users who read our words in another language than the default (English): guardian-13 reads
# Spanish, so the family summary (docs/gateway.md, "Guardian home") shows its Spanish phrases.
_PREFERRED_LANGUAGE = {"guardian-13": "es"}


def _guardian_first(n: int) -> str:
    names = ["Elena", "James", "Carmen", "David", "Ngozi", "Mark", "Thu", "Samir", "Julie", "Jorge"]
    return names[(n - 1) % len(names)]


def _link(
    rows: dict[str, list[dict[str, Any]]],
    guardian: uuid.UUID,
    student: uuid.UUID,
    relationship: str,
    now: Any,
) -> None:
    rows["guardian_links"].append(
        {
            "id": demo_id("guardian-link", f"{guardian}/{student}"),
            "district_id": DEMO_DISTRICT,
            "guardian_id": guardian,
            "student_id": student,
            "relationship": relationship,
            "sourced_id": None,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
    )


def _profile(n: int, learner_id: uuid.UUID, now: Any) -> dict[str, Any]:
    profile = default_profile()
    languages, proficiency = _LANGUAGES.get(n, (["en"], None))
    restrictions = default_restrictions()
    if n in (12, 23):
        # Marked by staff: these learners' accommodations are not shown to the students.
        restrictions["accommodations"]["hide_from_student"] = True
    profile.update(
        {
            "learner_id": learner_id,
            "district_id": DEMO_DISTRICT,
            "strengths": _STRENGTHS[n % len(_STRENGTHS)],
            "needs": _NEEDS[(n * 5) % len(_NEEDS)],
            "interests": _INTERESTS[n % len(_INTERESTS)] + (["cooking"] if n % 7 == 0 else []),
            "preferred_formats": _FORMATS[n % len(_FORMATS)],
            "pace": ("slower", "steady", "steady", "faster")[n % 4],
            "home_languages": languages,
            "english_learner": proficiency is not None,
            "english_proficiency": proficiency,
            "accommodations": _ACCOMMODATIONS.get(n, []),
            "notes": "Responds well to visual models; check in after long tasks."
            if n in _ACCOMMODATIONS
            else None,
            "restrictions": restrictions,
            "created_at": now,
            "updated_at": now,
        }
    )
    return profile


async def insert_demo(session: AsyncSession, today: date) -> bool:
    """Insert the demo district unless it is there; True when it was inserted."""
    if await repo.district_exists(session, DEMO_DISTRICT):
        return False
    rows = build_demo_rows(today)
    await repo.insert_rows(session, rows)
    # The seeded district's change feed starts with all of it, as if built through the API.
    record_rows(session, rows)
    return True


async def seed_demo(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        async with unit_of_work(db) as session:
            inserted = await insert_demo(session, utcnow().date())
    finally:
        await db.dispose()
    if not inserted:
        return ["profiles: demo district Riverside Unified already present"]
    return [
        "profiles: Riverside Unified, 2 schools, 4 classes, 4 teachers, 33 learners with "
        "profiles and goals, 33 guardians, 2 admins (log in as teacher-01, learner-01, "
        "guardian-01, admin-riverside-elementary, admin-district)"
    ]
