"""Evidence signals of a learner for early warnings (pure): what the mastery history says about
progress and about answers against the model's own expectation.

Pathways decides the flags (docs/pathways.md, "Insights"); this module only counts. Every number
comes from the scored answers' history rows (one per skill an answer touched, with P(known)
before and after it), in time order:

* ``recent``: over the last ``window`` answers, the wrong answers observed and those the model
  expected (the sum of P(wrong) = 1 - P(correct) before each answer), with the variance of that
  sum (a sum of Bernoulli trials: sum of p(1-p)). P(correct) is the one the mastery model scored
  the answer with (:func:`answer_p_correct`): the item's own guess and slip (its difficulty and
  guess floor) and P(known) before the answer of each of its skills, right only when every skill
  is known. A wrong answer to a hard item is expected more often than to an easy one, a right
  answer to a choice item is expected at least at its guess floor;
* per skill, the current *run*: answers since the skill last turned mastered (or since the first
  answer in the history read), P(known) before the first of them and after the last, the mean
  P(known) after each of its last ``RUN_RECENT`` answers (one lucky right answer moves P(known)
  by half; the mean over several does not swing with it), the days on which the learner answered
  during it;
* since the last mastery gain on any skill: answers and days of practice.
"""

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pathwise_assessment.domain.mastery import ItemEvidence, SkillModel, item_p_correct

__all__ = [
    "RUN_RECENT",
    "Answer",
    "LearnerEvidence",
    "RecentErrors",
    "SkillRun",
    "answer_p_correct",
    "summarize",
]

RUN_RECENT = 10


@dataclass(frozen=True)
class Answer:
    """One history row of a scored answer (one skill of it); ``item``: the answered item as the
    model saw it (None when unknown: the skill's own guess and slip are used)."""

    response_id: uuid.UUID | None
    skill_code: str
    correct: bool
    p_before: float
    p_after: float
    mastered: bool
    at: datetime
    item: ItemEvidence | None = None


@dataclass(frozen=True)
class RecentErrors:
    answers: int
    observed_wrong: int
    expected_wrong: float
    variance: float


@dataclass(frozen=True)
class SkillRun:
    skill_code: str
    answers: int
    practice_days: int
    p_start: float
    p_now: float
    mastered: bool
    since: datetime
    last_at: datetime
    p_recent: float  # mean P(known) after each of the run's last RUN_RECENT answers


@dataclass
class LearnerEvidence:
    learner_id: uuid.UUID
    answers_total: int = 0
    first_answer_at: datetime | None = None
    last_answer_at: datetime | None = None
    recent: RecentErrors = field(default_factory=lambda: RecentErrors(0, 0, 0.0, 0.0))
    skills: list[SkillRun] = field(default_factory=list)
    answers_since_mastery: int = 0
    practice_days_since_mastery: int = 0
    last_mastered_at: datetime | None = None


def _days(moments: Sequence[datetime]) -> int:
    return len({m.date() for m in moments})


def answer_p_correct(parts: Sequence[Answer], params: Mapping[str, SkillModel]) -> float:
    """The model's P(correct) of one answer (its history rows, one per skill) before it was
    scored: ``domain.mastery.item_p_correct`` with each skill's P(known) before the answer; a
    skill of the item without a row here (cut off by the read) at its prior. Without the item,
    the product of each skill's BKT P(correct) with the skill's guess and slip."""
    item = parts[0].item
    if item is not None:
        return item_p_correct({p.skill_code: p.p_before for p in parts}, item, params)
    chances = []
    for part in parts:
        model = params.get(part.skill_code) or SkillModel()
        chances.append(part.p_before * (1.0 - model.slip) + (1.0 - part.p_before) * model.guess)
    return math.prod(chances)


def summarize(
    learner_id: uuid.UUID,
    rows: Sequence[Answer],
    p_correct: Callable[[Sequence[Answer]], float],
    *,
    window: int,
    answers_total: int,
    first_answer_at: datetime | None,
) -> LearnerEvidence:
    """``rows`` in time order; ``p_correct(parts)`` is the model's chance that the answer made of
    these rows (one per skill it touched) was right (:func:`answer_p_correct`)."""
    evidence = LearnerEvidence(
        learner_id,
        answers_total=answers_total,
        first_answer_at=first_answer_at,
        last_answer_at=rows[-1].at if rows else None,
    )
    # Answers: history rows grouped by response (a row without one is its own answer).
    answers: list[list[Answer]] = []
    last_key: object = None
    for row in rows:
        key = row.response_id if row.response_id is not None else object()
        if answers and key == last_key:
            answers[-1].append(row)
        else:
            answers.append([row])
        last_key = key
    recent = answers[-window:]
    observed = expected = variance = 0.0
    for parts in recent:
        p = p_correct(parts)
        expected += 1.0 - p
        variance += p * (1.0 - p)
        observed += 0 if all(part.correct for part in parts) else 1
    evidence.recent = RecentErrors(len(recent), int(observed), expected, variance)

    runs: dict[str, list[Answer]] = {}
    was_mastered: dict[str, bool] = {}
    gain_index = 0  # index in ``answers`` after the last mastery gain
    for index, parts in enumerate(answers):
        for part in parts:
            if was_mastered.get(part.skill_code, part.mastered) is False and part.mastered:
                gain_index = index + 1
                evidence.last_mastered_at = part.at
                runs[part.skill_code] = []
            elif part.mastered and not was_mastered.get(part.skill_code, False):
                # First row of the skill in the history read, already mastered: no run yet.
                runs[part.skill_code] = []
            else:
                runs.setdefault(part.skill_code, []).append(part)
            was_mastered[part.skill_code] = part.mastered
    since = answers[gain_index:]
    evidence.answers_since_mastery = len(since)
    evidence.practice_days_since_mastery = _days([parts[0].at for parts in since])
    for code, run in sorted(runs.items()):
        if not run:
            continue
        evidence.skills.append(
            SkillRun(
                code,
                len(run),
                _days([r.at for r in run]),
                run[0].p_before,
                run[-1].p_after,
                was_mastered.get(code, False),
                run[0].at,
                run[-1].at,
                sum(r.p_after for r in run[-RUN_RECENT:]) / len(run[-RUN_RECENT:]),
            )
        )
    return evidence
