"""Bodies of ``POST /internal/signals``: evidence numbers per learner for early warnings."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from pathwise_shared.inputs import StrictBody

__all__ = ["LearnerSignalsOut", "RecentErrorsOut", "SignalsOut", "SignalsQuery", "SkillRunOut"]


class SignalsQuery(StrictBody):
    learner_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class RecentErrorsOut(BaseModel):
    answers: int = Field(description="Scored answers in the window (the latest ones)")
    observed_wrong: int
    expected_wrong: float = Field(description="Sum of the model's P(wrong) before each answer")
    variance: float = Field(description="Variance of that sum: sum of p(1-p)")


class SkillRunOut(BaseModel):
    skill_code: str
    answers: int = Field(description="Answers since the skill last turned mastered")
    practice_days: int = Field(description="Days with an answer during those answers")
    p_start: float = Field(description="P(known) before the first of them")
    p_now: float = Field(description="P(known) after the last of them")
    mastered: bool
    since: datetime
    last_at: datetime = Field(description="The last answer of the run")
    p_recent: float = Field(
        description="Mean P(known) after each of the run's last 10 answers (steadier than p_now)"
    )
    p_stuck: float | None = Field(
        default=None,
        description="Posterior that the learner's learn rate on the skill is below one answer in "
        "30 and that they do not know it now, from their answers on it and on their other skills",
    )
    learn_rate: float | None = Field(
        default=None, description="Posterior mean learn rate per answer of the learner on the skill"
    )


class LearnerSignalsOut(BaseModel):
    learner_id: uuid.UUID
    answers_total: int
    first_answer_at: datetime | None
    last_answer_at: datetime | None
    recent: RecentErrorsOut
    skills: list[SkillRunOut]
    answers_since_mastery: int
    practice_days_since_mastery: int
    last_mastered_at: datetime | None


class SignalsOut(BaseModel):
    learners: list[LearnerSignalsOut]
