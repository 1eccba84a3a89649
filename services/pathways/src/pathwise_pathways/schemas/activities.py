"""Bodies of ``/v1/activities``: the catalogue entry in, patched, bulk, and out."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pathwise_pathways.schemas.common import Code, OwnerOut, Short
from pathwise_shared.inputs import Day, Omittable, StrictBody, StrictBool, StrictInt

__all__ = [
    "ActivityCreate",
    "ActivityOut",
    "ActivityUpdate",
    "BulkActivities",
    "SupervisionIn",
    "SupervisionOut",
]

Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]


Lang = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[a-zA-Z-]+$")]


Format = Literal["video", "text", "audio", "interactive", "hands_on", "game"]


Feature = Literal["captions", "text_to_speech", "large_print", "transcript", "screen_reader"]


Kind = Literal["classroom", "community", "field_trip", "internship", "service", "project"]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Phone = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=r"^\+?[0-9 ()./-]+$")]
Email = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
]


class SupervisionIn(StrictBody):
    """Who supervises the learner off site; phone and email are shown to staff only."""

    name: Name
    phone: Phone | None = None
    email: Email | None = None


class SupervisionOut(BaseModel):
    name: str
    phone: str | None = Field(None, description="Staff only (null for learners and guardians)")
    email: str | None = Field(None, description="Staff only (null for learners and guardians)")


class ActivityCreate(StrictBody):
    title: Short
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    format: Format
    difficulty: StrictInt = Field(ge=1, le=5)
    minutes: StrictInt = Field(ge=1, le=600)
    languages: list[Lang] = Field(default_factory=lambda: ["en"], min_length=1, max_length=20)
    accessibility: list[Feature] = Field(default_factory=list, max_length=10)
    interest_tags: list[Tag] = Field(default_factory=list, max_length=30)
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")] | None = None
    skill_codes: list[Code] = Field(min_length=1, max_length=50)
    kind: Kind = "classroom"
    partner: Name | None = None
    place: Place | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    supervision: SupervisionIn | None = None
    requires_guardian_consent: StrictBool = False


class ActivityUpdate(StrictBody):
    title: Omittable[Short] = None
    description: Omittable[Annotated[str, StringConstraints(max_length=5000)]] = None
    format: Omittable[Format] = None
    difficulty: Omittable[StrictInt] = Field(None, ge=1, le=5)
    minutes: Omittable[StrictInt] = Field(None, ge=1, le=600)
    languages: Omittable[list[Lang]] = Field(None, min_length=1, max_length=20)
    accessibility: Omittable[list[Feature]] = Field(None, max_length=10)
    interest_tags: Omittable[list[Tag]] = Field(None, max_length=30)
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")] | None = None
    skill_codes: Omittable[list[Code]] = Field(None, min_length=1, max_length=50)
    kind: Omittable[Kind] = None
    partner: Name | None = None
    place: Place | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    supervision: SupervisionIn | None = None
    requires_guardian_consent: Omittable[StrictBool] = None


class BulkActivities(StrictBody):
    activities: list[ActivityCreate] = Field(min_length=1, max_length=500)


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str
    format: str
    difficulty: int
    minutes: int
    languages: list[str]
    accessibility: list[str]
    interest_tags: list[str]
    url: str | None
    skill_codes: list[str]
    kind: str = "classroom"
    partner: str | None = None
    place: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    supervision: SupervisionOut | None = None
    requires_guardian_consent: bool = False
    owner: OwnerOut
    created_at: datetime
    updated_at: datetime
