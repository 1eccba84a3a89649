"""Body of ``POST /internal/learners/{id}/evidence``: a teacher's rubric score of a learner's own
work, from pathways (docs/assessment.md, "Evidence from pathways")."""

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from pathwise_assessment.schemas.common import SkillCode
from pathwise_shared.inputs import StrictBody

__all__ = ["EvidenceIn", "EvidenceOut"]


class EvidenceIn(StrictBody):
    evidence_id: uuid.UUID = Field(
        description="The caller's id of the scored work (pathways' submission id): the key that "
        "makes a retry a no-op"
    )
    skill_code: SkillCode
    fraction: float = Field(ge=0, le=1, description="The rubric's share of the points")
    scored_by: str = Field(min_length=1, max_length=200, description="Who scored it")
    source: Literal["pathways"] = "pathways"


class EvidenceOut(BaseModel):
    evidence_id: uuid.UUID
    learner_id: uuid.UUID
    skill_code: str
    fraction: float
    correct: bool = Field(description="Counted as a right answer (fraction >= 0.8)")
    recorded: bool = Field(description="False when this evidence id was already recorded")
