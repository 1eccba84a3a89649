"""Learner profile, goal and history bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from pathwise_profiles.domain.profile import ACCOMMODATION_TERMS, Format, Pace
from pathwise_shared.inputs import Day, Omittable, StrictBody, StrictBool, StrictInt, StrictNumber

__all__ = [
    "Accommodation",
    "CommentIn",
    "CommentOut",
    "GoalCreate",
    "GoalOut",
    "GoalUpdate",
    "HistoryEntry",
    "Languages",
    "PartSharing",
    "ProfileOut",
    "ProfilePatch",
    "Restriction",
]

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
]
SkillCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=40, pattern=r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+){1,6}$"
    ),
]


class Accommodation(StrictBody):
    term: str = Field(max_length=40, description="AfA PNP-aligned term, e.g. extended_time")
    factor: StrictNumber | None = Field(None, ge=1.0, le=5.0, description="extended_time only")
    note: str | None = Field(None, max_length=500)

    @field_validator("term")
    @classmethod
    def _known_term(cls, value: str) -> str:
        if value not in ACCOMMODATION_TERMS:
            raise ValueError(
                f"unknown accommodation; use one of {', '.join(sorted(ACCOMMODATION_TERMS))}"
            )
        return value

    @model_validator(mode="after")
    def _factor_only_for_time(self) -> Self:
        if self.factor is not None and self.term != "extended_time":
            raise ValueError("factor applies only to extended_time")
        return self


class Languages(StrictBody):
    home: list[LanguageCode] = Field(default_factory=list, max_length=10)
    english_learner: StrictBool = False
    english_proficiency: StrictInt | None = Field(
        None, ge=1, le=6, description="WIDA-style level 1-6 for English learners"
    )


class Restriction(StrictBody):
    hide_from_student: StrictBool = False
    hide_from_guardians: StrictBool = False


class PartSharing(StrictBody):
    guardians: StrictBool = True
    teachers: StrictBool = True


class ProfilePatch(StrictBody):
    """Only the fields sent change; each reader may change only its own parts (403 otherwise)."""

    strengths: Omittable[list[Phrase]] = Field(None, max_length=30)
    needs: Omittable[list[Phrase]] = Field(None, max_length=30)
    interests: Omittable[list[Tag]] = Field(None, max_length=30)
    preferred_formats: Omittable[list[Format]] = Field(None, max_length=5)
    pace: Omittable[Pace] = None
    languages: Omittable[Languages] = None
    accommodations: Omittable[list[Accommodation]] = Field(None, max_length=20)
    notes: str | None = Field(None, max_length=5000)  # the one part that can be cleared
    # Both maps are read loosely here and checked by ``domain.visibility.refused_settings``, so
    # a setting we cannot honour (hide accommodations from teachers, …) is refused with a 422
    # that names the field and says why, rather than a bare "extra field" or silently ignored.
    restrictions: Omittable[dict[str, dict[str, StrictBool]]] = Field(
        None,
        max_length=10,
        description="Staff: per part (accommodations, notes) hide_from_student and/or "
        "hide_from_guardians; settings not sent keep their value",
    )
    sharing: Omittable[dict[str, dict[str, StrictBool]]] = Field(
        None,
        max_length=10,
        description="The learner: per part they own (interests, goals) whether guardians and "
        "teachers see it; teachers only where the district allows (else 422)",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


Why = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# A comment or reply: not blank, at most 2000 characters (an empty or longer one is 422).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class GoalCreate(StrictBody):
    term: Literal["short", "long"]
    title: Phrase
    skill_codes: list[SkillCode] = Field(default_factory=list, max_length=20)
    target_date: Day | None = None
    status: Literal["active", "achieved", "paused", "dropped"] = "active"
    progress: StrictNumber = Field(0.0, ge=0.0, le=1.0)
    why: Why | None = Field(None, description="Why the goal matters to the learner (≤ 500)")


class GoalUpdate(StrictBody):
    term: Omittable[Literal["short", "long"]] = None
    title: Omittable[Phrase] = None
    skill_codes: Omittable[list[SkillCode]] = Field(None, max_length=20)
    target_date: Day | None = None
    status: Omittable[Literal["active", "achieved", "paused", "dropped"]] = None
    progress: Omittable[StrictNumber] = Field(None, ge=0.0, le=1.0)
    why: Why | None = Field(None, description="null clears it")

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class GoalOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    term: str
    title: str
    skill_codes: list[str]
    target_date: date | None
    status: str
    progress: float
    why: str | None = None
    co_signed_by: str | None = Field(
        None,
        description="Who co-signed the goal (a teacher or admin); a learner's edit of "
        "title, skills or date clears it",
    )
    co_signed_at: datetime | None = None
    completed_at: datetime | None = Field(None, description="When its status last became achieved")
    version: int
    etag: str
    created_at: datetime
    updated_at: datetime


class CommentIn(StrictBody):
    body: Text


class CommentOut(BaseModel):
    id: uuid.UUID
    author: str = Field(description="The subject who wrote it")
    role: str = Field(description="teacher, school_admin, district_admin or system")
    body: str
    created_at: datetime


class ProfileOut(BaseModel):
    learner_id: uuid.UUID
    district_id: uuid.UUID
    version: int
    etag: str
    strengths: list[str] | None
    needs: list[str] | None
    interests: list[str] | None
    preferred_formats: list[str] | None
    pace: str | None
    languages: Languages | None
    accommodations: list[dict[str, Any]] | None
    notes: str | None
    restrictions: dict[str, Restriction] | None = Field(description="shown to staff only")
    sharing: dict[str, PartSharing]
    goals: list[GoalOut] | None
    hidden: list[str] = Field(description="parts withheld from this reader")
    updated_at: datetime


class HistoryEntry(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: str
    actor_roles: list[str]
    part: str
    target_id: uuid.UUID | None
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
