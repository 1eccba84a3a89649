"""Who sees and who edits which part of a learner profile (docs/profiles.md, "Visibility").

The access check says *whether* a principal reaches the learner and *why* (its reason); these
rules say *what* that reader sees and may change. Pure functions over plain data.
"""

from collections.abc import Iterable, Mapping
from typing import Literal

from pathwise_profiles.domain.profile import LEARNER_OWNED_PARTS, PARTS

__all__ = [
    "STAFF_WRITABLE",
    "STUDENT_WRITABLE",
    "Reader",
    "forbidden_fields",
    "reader_for",
    "visible_parts",
]

Reader = Literal["admin", "teacher", "guardian", "student", "client"]

# What each reader may change. ``sharing`` is the learner's consent: only they set it.
# ``restrictions`` marks parts hidden from the student or guardians: only staff set it.
STUDENT_WRITABLE = frozenset({"interests", "goals", "sharing"})
STAFF_WRITABLE = frozenset(
    {
        "strengths",
        "needs",
        "interests",
        "preferred_formats",
        "pace",
        "languages",
        "accommodations",
        "notes",
        "restrictions",
        "goals",
    }
)
_WRITABLE: dict[Reader, frozenset[str]] = {
    "admin": STAFF_WRITABLE,
    "teacher": STAFF_WRITABLE,
    "student": STUDENT_WRITABLE,
    "guardian": frozenset(),
    "client": frozenset(),
}


def reader_for(reason: str) -> Reader:
    """The reader kind from the access check's reason (which relation granted access)."""
    if reason in {"district_admin", "school_admin_of_school", "system"}:
        return "admin"
    if reason == "teacher_of_learner":
        return "teacher"
    if reason == "guardian_of_learner":
        return "guardian"
    if reason == "self":
        return "student"
    return "client"


def visible_parts(
    reader: Reader,
    restrictions: Mapping[str, Mapping[str, bool]],
    sharing: Mapping[str, Mapping[str, bool]],
    *,
    learner_may_hide_from_teachers: bool,
) -> set[str]:
    parts = set(PARTS)
    if reader == "admin":
        return parts
    if reader == "client":
        # Integrations get the planning-relevant parts; restricted needs and notes stay inside.
        return parts - {"accommodations", "notes"}
    if reader == "teacher":
        if learner_may_hide_from_teachers:
            parts -= {
                p for p in LEARNER_OWNED_PARTS if not sharing.get(p, {}).get("teachers", True)
            }
        return parts
    if reader == "guardian":
        parts -= {p for p in LEARNER_OWNED_PARTS if not sharing.get(p, {}).get("guardians", True)}
        parts -= {p for p, r in restrictions.items() if r.get("hide_from_guardians", False)}
        return parts
    # The student themself: everything of their own except what staff marked hidden from them.
    return parts - {p for p, r in restrictions.items() if r.get("hide_from_student", False)}


def forbidden_fields(reader: Reader, fields: Iterable[str]) -> list[str]:
    """The fields of an edit this reader may not change (empty: the edit is allowed)."""
    allowed = _WRITABLE[reader]
    return sorted(f for f in fields if f not in allowed)
