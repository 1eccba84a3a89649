"""The learner profile's parts, vocabulary and defaults.

Accommodation terms follow the AfA PNP (Access for All, Personal Needs and Preferences) ideas in
snake case; an unknown term is refused so reports and planners can rely on the list.
"""

from typing import Any, Literal

__all__ = [
    "ACCOMMODATION_TERMS",
    "FORMATS",
    "LEARNER_OWNED_PARTS",
    "PARTS",
    "RESTRICTABLE_PARTS",
    "SHAREABLE_PARTS",
    "Format",
    "Pace",
    "default_profile",
    "default_restrictions",
    "default_sharing",
]

Format = Literal["video", "text", "audio", "interactive", "hands_on"]
Pace = Literal["slower", "steady", "faster"]
FORMATS: tuple[str, ...] = ("video", "text", "audio", "interactive", "hands_on")

ACCOMMODATION_TERMS = frozenset(
    {
        "extended_time",  # takes a factor (1.5 = time and a half)
        "text_to_speech",
        "read_aloud",
        "large_print",
        "magnification",
        "high_contrast",
        "captions",
        "reduced_distraction",
        "breaks",
        "calculator",
        "scribe",
        "bilingual_glossary",
        "simplified_language",
        "sign_language",
        "braille",
    }
)

# Every part a reader may see; the ``languages`` part groups home languages and EL status.
PARTS = (
    "strengths",
    "needs",
    "interests",
    "preferred_formats",
    "pace",
    "languages",
    "accommodations",
    "notes",
    "goals",
)
# Parts the learner owns: they edit them and choose who else sees them (consent).
LEARNER_OWNED_PARTS = ("interests", "goals")
# What the learner chooses audiences for in ``sharing``: the parts they own, and their reflections
# (not a profile part: their own resource, docs/profiles.md "Reflections").
SHAREABLE_PARTS = (*LEARNER_OWNED_PARTS, "reflections")
# Parts staff may hide from the student and/or the guardians.
RESTRICTABLE_PARTS = ("accommodations", "notes")


def default_restrictions() -> dict[str, dict[str, bool]]:
    # Teacher notes are for staff unless marked otherwise; accommodations are shared by default.
    return {
        "accommodations": {"hide_from_student": False, "hide_from_guardians": False},
        "notes": {"hide_from_student": True, "hide_from_guardians": False},
    }


def default_sharing() -> dict[str, dict[str, bool]]:
    # Reflections are a journal: guardians read them only once the learner shares them.
    return {
        **{part: {"guardians": True, "teachers": True} for part in LEARNER_OWNED_PARTS},
        "reflections": {"guardians": False, "teachers": True},
    }


def default_profile() -> dict[str, Any]:
    """Column values of a fresh profile (every student has one from the moment they exist)."""
    return {
        "version": 1,
        "strengths": [],
        "needs": [],
        "interests": [],
        "preferred_formats": [],
        "pace": "steady",
        "home_languages": [],
        "english_learner": False,
        "english_proficiency": None,
        "accommodations": [],
        "notes": None,
        "restrictions": default_restrictions(),
        "sharing": default_sharing(),
    }
