"""Bodies of a step's evidence: the teacher's rule (formats, rubric), a learner's submission and
a teacher's rubric score (docs/pathways.md, "Evidence in the learner's format")."""

import uuid
from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field, model_validator

from pathwise_pathways.domain.evidence import EvidenceFormat, Rubric
from pathwise_shared.inputs import StrictBody

__all__ = ["EvidenceRuleIn", "EvidenceRuleOut", "ScoreIn", "SubmissionIn", "SubmissionOut"]


class EvidenceRuleIn(StrictBody):
    formats: list[EvidenceFormat] = Field(
        max_length=5,
        description="Formats the learner may pick from (empty: the step takes only its skill "
        "checks)",
    )
    rubric: Rubric | None = Field(None, description="Required when formats are allowed")

    @model_validator(mode="after")
    def _rubric_with_formats(self) -> Self:
        if len(set(self.formats)) != len(self.formats):
            raise ValueError("each format once")
        if self.formats and self.rubric is None:
            raise ValueError("a rubric is required when formats are allowed")
        return self


class EvidenceRuleOut(BaseModel):
    step_id: uuid.UUID
    learner_id: uuid.UUID
    skill_code: str
    formats: list[str]
    artifact_kinds: list[str] = Field(description="The portfolio kinds the formats accept")
    rubric: Rubric | None
    version: int
    etag: str
    updated_by: str | None
    updated_at: datetime | None


class SubmissionIn(StrictBody):
    artifact_id: uuid.UUID = Field(description="One of the learner's own portfolio artifacts")
    format: EvidenceFormat | None = Field(
        None, description="The format it is offered as (default: the first allowed that fits)"
    )


class ScoreIn(StrictBody):
    levels: dict[str, str] = Field(
        min_length=1, max_length=10, description="criterion id -> level id"
    )
    comment: str | None = Field(None, max_length=4000)


class SubmissionOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    step_id: uuid.UUID
    skill_code: str
    artifact_id: uuid.UUID
    artifact_kind: str
    format: str
    rubric: Rubric
    status: str = Field(description="pending or scored")
    levels: dict[str, str] | None
    points: float | None
    max_points: float
    fraction: float | None
    correct: bool | None = Field(description="Whether it counted as a right answer for mastery")
    comment: str | None
    scored_by: str | None
    scored_at: datetime | None
    created_at: datetime
