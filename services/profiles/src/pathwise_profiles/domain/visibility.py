"""Who sees and who edits which part of a learner profile (docs/profiles.md, "Visibility").

The access check says *whether* a principal reaches the learner and *why* (its reason); these
rules say *what* that reader sees and may change. Pure functions over plain data.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pathwise_profiles.domain.profile import (
    LEARNER_OWNED_PARTS,
    PARTS,
    RESTRICTABLE_PARTS,
    SHAREABLE_PARTS,
)

__all__ = [
    "SHARING_AUDIENCES",
    "STAFF_WRITABLE",
    "STUDENT_WRITABLE",
    "Reader",
    "Refusal",
    "forbidden_fields",
    "reader_for",
    "reader_for_class",
    "refused_settings",
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


def reader_for_class(kind: str, roles: Iterable[str]) -> Reader:
    """The reader a class tool's caller is toward each learner of the class.

    The gateway has checked the class relation already: a system job or an admin of the class's
    school or district reads as an admin, a client as a client, anyone else (the class's teacher)
    as a teacher. Per learner the same :func:`visible_parts` then applies.
    """
    if kind == "system":
        return "admin"
    if kind == "client":
        return "client"
    return "admin" if set(roles) & {"district_admin", "school_admin"} else "teacher"


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


# Consent settings (docs/profiles.md, "Consent settings: honoured or refused") ----------------

# Whom the learner may hide the parts they own from, in ``sharing``.
SHARING_AUDIENCES = ("guardians", "teachers")
# Whom staff may hide accommodations and notes from, in ``restrictions``.
_RESTRICTION_KEYS = ("hide_from_student", "hide_from_guardians")

_NOT_LEARNER_OWNED = {
    "accommodations": (
        "accommodations are not the learner's to hide: their teachers are legally required to "
        "apply them, and staff decide whether the student and guardians see them (restrictions)"
    ),
    "notes": "notes are written by staff, who decide who sees them (restrictions)",
}


@dataclass(frozen=True)
class Refusal:
    """One setting the product cannot honour: the field (dotted path) and why."""

    field: str
    message: str


def refused_settings(
    restrictions: Mapping[str, Mapping[str, object]] | None,
    sharing: Mapping[str, Mapping[str, object]] | None,
    *,
    learner_may_hide_from_teachers: bool,
) -> list[Refusal]:
    """Every setting of an edit that would be stored but could not be enforced everywhere.

    Accepting a setting we then ignore would tell a learner something is hidden when it is not,
    so each one is either honoured by :func:`visible_parts` (and by everything derived from the
    profile) or refused here, naming the field and the reason.
    """
    refused: list[Refusal] = []
    for part, audiences in (sharing or {}).items():
        where = f"sharing.{part}"
        if part not in SHAREABLE_PARTS:
            why = _NOT_LEARNER_OWNED.get(part) or (
                "the learner shares or hides only "
                f"{', '.join(SHAREABLE_PARTS[:-1])} and {SHAREABLE_PARTS[-1]}"
                + (" (a part staff keep)" if part in PARTS else f"; {part!r} is no profile part")
            )
            refused.append(Refusal(where, why))
            continue
        for audience, shown in audiences.items():
            if audience not in SHARING_AUDIENCES:
                refused.append(
                    Refusal(
                        f"{where}.{audience}",
                        f"unknown audience; the learner chooses for {' and '.join(SHARING_AUDIENCES)}"
                        + (
                            " (staff always see the profile)"
                            if audience in {"staff", "admins"}
                            else ""
                        ),
                    )
                )
            elif not isinstance(shown, bool):
                refused.append(Refusal(f"{where}.{audience}", "must be true or false"))
            elif audience == "teachers" and not shown and not learner_may_hide_from_teachers:
                refused.append(
                    Refusal(
                        f"{where}.{audience}",
                        f"this district does not let learners hide their {part} from their "
                        "teachers, who plan their learning with them "
                        "(district policy PROFILES_LEARNER_MAY_HIDE_FROM_TEACHERS is off)",
                    )
                )
    for part, flags in (restrictions or {}).items():
        where = f"restrictions.{part}"
        if part not in RESTRICTABLE_PARTS:
            refused.append(
                Refusal(
                    where,
                    f"staff restrict only {' and '.join(RESTRICTABLE_PARTS)}"
                    + (
                        "; interests and goals are the learner's (sharing)"
                        if part in LEARNER_OWNED_PARTS
                        else ""
                    ),
                )
            )
            continue
        for key, value in flags.items():
            if key == "hide_from_teachers":
                refused.append(
                    Refusal(
                        f"{where}.{key}",
                        "accommodations cannot be hidden from the learner's teachers: they are "
                        "legally required to apply them"
                        if part == "accommodations"
                        else "notes are written for the learner's teachers and staff",
                    )
                )
            elif key not in _RESTRICTION_KEYS:
                refused.append(
                    Refusal(
                        f"{where}.{key}", f"unknown setting; use {' or '.join(_RESTRICTION_KEYS)}"
                    )
                )
            elif not isinstance(value, bool):
                refused.append(Refusal(f"{where}.{key}", "must be true or false"))
    return refused
