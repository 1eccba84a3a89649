"""Roster bodies: districts, schools, sessions, courses, classes, users, enrollments, guardians."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from pathwise_shared.inputs import Day, Omittable, StrictBody, StrictBool, StrictInt
from pathwise_shared.timeutil import utcnow

__all__ = [
    "ClassCreate",
    "ClassOut",
    "ClassUpdate",
    "CourseCreate",
    "CourseOut",
    "CourseUpdate",
    "DistrictCreate",
    "DistrictOut",
    "DistrictUpdate",
    "EnrollmentCreate",
    "EnrollmentOut",
    "EnrollmentUpdate",
    "GuardianLinkCreate",
    "GuardianLinkOut",
    "Name",
    "RosterStatus",
    "SchoolCreate",
    "SchoolOut",
    "SchoolUpdate",
    "SessionCreate",
    "SessionOut",
    "SessionUpdate",
    "SourcedId",
    "UserCreate",
    "UserOut",
    "UserRole",
    "UserUpdate",
]

RosterStatus = Literal["active", "tobedeleted"]
UserRole = Literal["student", "teacher", "guardian", "school_admin", "district_admin"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
SourcedId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# OneRoster grade codes: KG, PK, 01..13, or other short tokens some SIS send.
Grade = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9]{1,10}$")]
# A BCP 47 language tag (``es``, ``pt-BR``): the language the user reads our words in.
LanguageTag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=35, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$"
    ),
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


def _past_birth_date(value: date) -> date:
    if value > utcnow().date() or value.year < 1900:
        raise ValueError("must be a past date after 1900")
    return value


# A student's birth date (docs/privacy.md, "Retention"): only the under-13 rule reads it.
BirthDate = Annotated[Day, AfterValidator(_past_birth_date)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=r"^\S+$")
]


class _Out(BaseModel):
    id: uuid.UUID
    sourced_id: str | None
    status: RosterStatus
    created_at: datetime
    updated_at: datetime = Field(description="OneRoster dateLastModified")


class DistrictCreate(StrictBody):
    name: Name
    sourced_id: SourcedId | None = None


class DistrictUpdate(StrictBody):
    name: Omittable[Name] = None
    status: Omittable[RosterStatus] = None


class DistrictOut(_Out):
    name: str


class SchoolCreate(StrictBody):
    name: Name
    identifier: Code | None = None
    sourced_id: SourcedId | None = None


class SchoolUpdate(StrictBody):
    name: Omittable[Name] = None
    identifier: Code | None = None
    status: Omittable[RosterStatus] = None


class SchoolOut(_Out):
    district_id: uuid.UUID
    name: str
    identifier: str | None


class SessionCreate(StrictBody):
    title: Name
    type: Literal["schoolYear", "term", "semester", "gradingPeriod"]
    start_date: Day
    end_date: Day
    parent_id: uuid.UUID | None = None
    school_year: StrictInt | None = Field(None, ge=1900, le=2200)
    sourced_id: SourcedId | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class SessionUpdate(StrictBody):
    title: Omittable[Name] = None
    type: Omittable[Literal["schoolYear", "term", "semester", "gradingPeriod"]] = None
    start_date: Omittable[Day] = None
    end_date: Omittable[Day] = None
    school_year: StrictInt | None = Field(None, ge=1900, le=2200)
    status: Omittable[RosterStatus] = None


class SessionOut(_Out):
    district_id: uuid.UUID
    title: str
    type: str
    start_date: date
    end_date: date
    parent_id: uuid.UUID | None
    school_year: int | None


class CourseCreate(StrictBody):
    title: Name
    course_code: Code | None = None
    grades: list[Grade] = Field(default_factory=list, max_length=20)
    school_id: uuid.UUID | None = None
    sourced_id: SourcedId | None = None


class CourseUpdate(StrictBody):
    title: Omittable[Name] = None
    course_code: Code | None = None
    grades: Omittable[list[Grade]] = Field(None, max_length=20)
    status: Omittable[RosterStatus] = None


class CourseOut(_Out):
    district_id: uuid.UUID
    school_id: uuid.UUID | None
    title: str
    course_code: str | None
    grades: list[str]


class ClassCreate(StrictBody):
    title: Name
    school_id: uuid.UUID
    course_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    class_code: Code | None = None
    grades: list[Grade] = Field(default_factory=list, max_length=20)
    sourced_id: SourcedId | None = None


class ClassUpdate(StrictBody):
    title: Omittable[Name] = None
    class_code: Code | None = None
    grades: Omittable[list[Grade]] = Field(None, max_length=20)
    status: Omittable[RosterStatus] = None


class ClassOut(_Out):
    district_id: uuid.UUID
    school_id: uuid.UUID
    course_id: uuid.UUID | None
    session_id: uuid.UUID | None
    title: str
    class_code: str | None
    grades: list[str]


class UserCreate(StrictBody):
    username: Username
    given_name: Name
    family_name: Name
    email: Email | None = None
    roles: list[UserRole] = Field(min_length=1, max_length=5)
    grade: Grade | None = None
    school_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    enabled: StrictBool = True
    sourced_id: SourcedId | None = None
    preferred_language: LanguageTag | None = None
    birth_date: BirthDate | None = None

    @model_validator(mode="after")
    def _birth_date_of_students(self) -> Self:
        if self.birth_date is not None and "student" not in self.roles:
            # Only the under-13 retention rule reads it: no one else's is kept.
            raise ValueError("birth_date is kept for students only")
        return self


class UserUpdate(StrictBody):
    given_name: Omittable[Name] = None
    family_name: Omittable[Name] = None
    email: Email | None = None
    grade: Grade | None = None
    enabled: Omittable[StrictBool] = None
    roles: Omittable[list[UserRole]] = Field(None, min_length=1, max_length=5)
    school_ids: Omittable[list[uuid.UUID]] = Field(None, max_length=50)
    status: Omittable[RosterStatus] = None
    preferred_language: LanguageTag | None = None
    birth_date: BirthDate | None = None


class UserOut(_Out):
    district_id: uuid.UUID
    username: str
    given_name: str
    family_name: str
    email: str | None
    grade: str | None
    enabled: bool
    roles: list[str]
    school_ids: list[uuid.UUID]
    preferred_language: str | None = Field(
        None, description="BCP 47 tag of the language the user reads our words in; null: default"
    )
    birth_date: date | None = Field(
        None,
        description="A student's birth date, if the district gave one; only the under-13 "
        "retention rule reads it. Shown to district admins, the system, the learner and their "
        "linked guardians; null for every other reader (teachers, school admins, integration "
        "clients), as when none was given (docs/privacy.md)",
    )


class EnrollmentCreate(StrictBody):
    user_id: uuid.UUID
    role: Literal["student", "teacher"]
    primary: StrictBool = False
    begin_date: Day | None = None
    end_date: Day | None = None
    sourced_id: SourcedId | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.begin_date and self.end_date and self.end_date < self.begin_date:
            raise ValueError("end_date is before begin_date")
        return self


class EnrollmentUpdate(StrictBody):
    primary: Omittable[StrictBool] = None
    begin_date: Day | None = None
    end_date: Day | None = None
    status: Omittable[RosterStatus] = None


class EnrollmentOut(_Out):
    district_id: uuid.UUID
    class_id: uuid.UUID
    user_id: uuid.UUID
    school_id: uuid.UUID
    role: str
    primary: bool
    begin_date: date | None
    end_date: date | None


class GuardianLinkCreate(StrictBody):
    guardian_id: uuid.UUID
    student_id: uuid.UUID
    relationship: Literal["parent", "guardian", "relative", "other"] = "parent"
    sourced_id: SourcedId | None = None


class GuardianLinkOut(_Out):
    district_id: uuid.UUID
    guardian_id: uuid.UUID
    student_id: uuid.UUID
    relationship: str
