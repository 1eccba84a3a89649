"""Student voice survey bodies (docs/profiles.md, "Student voice surveys")."""

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from pathwise_profiles.domain.surveys import MapsTo, QuestionKind
from pathwise_shared.inputs import StrictBody, StrictBool, StrictInt

__all__ = [
    "AnswerIn",
    "AnswersIn",
    "AssignmentOut",
    "LearnerAnswersOut",
    "QuestionCountOut",
    "QuestionIn",
    "QuestionOut",
    "SendIn",
    "SendOut",
    "SurveyCreate",
    "SurveyOut",
    "SurveyResultsOut",
]

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
QuestionId = Annotated[str, StringConstraints(pattern=r"^q[1-9][0-9]?$")]


class QuestionIn(StrictBody):
    kind: QuestionKind
    prompt: Prompt
    options: list[Option] | None = Field(
        None, max_length=20, description="single_choice and multiple_choice only (2-20)"
    )
    maps_to: MapsTo | None = Field(
        None,
        description="the profile field a consented answer fills: interests (multiple_choice), "
        "preferred_formats (multiple_choice, options among the profile's formats), pace "
        "(single_choice among slower, steady, faster)",
    )


class SurveyCreate(StrictBody):
    title: Title
    questions: list[QuestionIn] = Field(min_length=1, max_length=30)


class QuestionOut(BaseModel):
    id: str = Field(description="q1, q2, …: the question's position")
    kind: str
    prompt: str
    options: list[str]
    maps_to: str | None


class SurveyOut(BaseModel):
    id: uuid.UUID
    title: str
    questions: list[QuestionOut]
    created_by: str
    created_at: datetime


class SendIn(StrictBody):
    """Exactly one of a class (its active students) or named learners."""

    class_id: uuid.UUID | None = Field(
        None, description="a class the caller teaches or administers"
    )
    learner_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_audience(self) -> Self:
        if (self.class_id is None) == (self.learner_ids is None):
            raise ValueError("send to either class_id or learner_ids")
        return self


class SendOut(BaseModel):
    survey_id: uuid.UUID
    sent: int = Field(description="new assignments")
    already_sent: int = Field(description="learners who had the survey already (kept as they are)")


class AnswerIn(StrictBody):
    question_id: QuestionId
    value: StrictInt | str | list[str] = Field(
        description="single_choice: an option; multiple_choice: a list of options; scale: 1-5; "
        "short_text: text (≤ 500)"
    )
    apply_to_profile: StrictBool = Field(
        False,
        description="the learner's consent: this answer updates the profile field the question "
        "fills; without it the answer is stored and the profile is untouched",
    )


class AnswersIn(StrictBody):
    answers: list[AnswerIn] = Field(min_length=1, max_length=30)


class AnswerOut(BaseModel):
    question_id: str
    value: int | str | list[str]
    apply_to_profile: bool


class AssignmentOut(BaseModel):
    """A survey sent to the learner, with their answers once given."""

    survey: SurveyOut
    learner_id: uuid.UUID
    status: Literal["open", "answered"]
    sent_at: datetime
    answered_at: datetime | None
    answers: list[AnswerOut] | None
    applied_fields: list[str] = Field(description="profile fields the learner's answers set")


class LearnerAnswersOut(BaseModel):
    learner_id: uuid.UUID
    answered_at: datetime | None
    answers: list[AnswerOut] | None


class QuestionCountOut(BaseModel):
    question_id: str
    answered: int
    options: dict[str, int] = Field(
        description="per option (scale: per value 1-5), in the question's order; never ranked"
    )


class SurveyResultsOut(BaseModel):
    survey: SurveyOut
    sent: int = Field(description="learners shown (the caller's own learners for a teacher)")
    answered: int
    learners: list[LearnerAnswersOut] = Field(description="ordered by learner id, not by answers")
    counts: list[QuestionCountOut]
