"""The change feed's answer (docs/profiles.md, "Change feed")."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pathwise_profiles.schemas.roster import (
    ClassOut,
    CourseOut,
    DistrictOut,
    EnrollmentOut,
    GuardianLinkOut,
    SchoolOut,
    SessionOut,
    UserOut,
)

__all__ = ["ChangeEntry", "ChangePage", "ObjectType", "Tombstone"]

ObjectType = Literal[
    "district",
    "school",
    "academic_session",
    "course",
    "class",
    "user",
    "enrollment",
    "guardian_link",
    "learner_profile",
]
RosterObject = (
    DistrictOut
    | SchoolOut
    | SessionOut
    | CourseOut
    | ClassOut
    | UserOut
    | EnrollmentOut
    | GuardianLinkOut
)


class Tombstone(BaseModel):
    id: uuid.UUID
    sourced_id: str | None = Field(description="the district's own id of the deleted record")
    deleted_at: datetime


class ChangeEntry(BaseModel):
    seq: int = Field(description="position in the district's feed (strictly increasing)")
    cursor: str = Field(description="resume after this entry: pass it as `cursor`")
    object_type: ObjectType
    object_id: uuid.UUID = Field(description="a learner profile's id is its learner's (user) id")
    operation: Literal["upsert", "delete"]
    changed_at: datetime
    href: str = Field(description="the object's own read in /v1")
    object: RosterObject | None = Field(
        default=None,
        description="upserts of roster records: the record as it is now (a later entry follows "
        "any later change); null for deletes, learner profiles (read `href`) and records gone",
    )
    tombstone: Tombstone | None = Field(default=None, description="deletes only")


class ChangePage(BaseModel):
    items: list[ChangeEntry]
    next_cursor: str = Field(
        description="always present: keep it and ask again with it, also when `items` is empty"
    )
    has_more: bool = Field(description="more entries are ready now: ask again at once")
