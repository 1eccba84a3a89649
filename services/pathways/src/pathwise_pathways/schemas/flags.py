"""Bodies of learners' early-warning flags (``/v1/learners/{id}/flags``, class insights)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from pathwise_shared.inputs import StrictBody

__all__ = ["DismissRequest", "FlagCode", "FlagOut", "FlagsOut", "SupportFlagOut", "SupportFlagsOut"]

FlagCode = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]


class FlagOut(BaseModel):
    code: str = Field(
        description="no_progress, prerequisite_gap, error_rate_high, behind_pace, no_pathway or "
        "accommodation_not_applied"
    )
    detail: str = Field(description="The reason in a sentence")
    numbers: dict[str, int | float | str | None] = Field(
        description="The numbers behind it (answers, P(known), pace needed and observed, …)"
    )
    raised_at: datetime = Field(description="When this instance of the flag was raised")
    dismissed: bool
    dismissed_by: str | None = None
    dismissal_note: str | None = None


class FlagsOut(BaseModel):
    learner_id: str
    flags: list[FlagOut]


class DismissRequest(StrictBody):
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class SupportFlagOut(BaseModel):
    """A flag as a family may hear of it: what kind and which skill, never the numbers, the
    detail sentence or a teacher's dismissal note."""

    code: str
    skill_code: str | None = Field(description="The skill the flag is about, when it names one")
    raised_at: datetime


class SupportFlagsOut(BaseModel):
    learner_id: str
    flags: list[SupportFlagOut]
