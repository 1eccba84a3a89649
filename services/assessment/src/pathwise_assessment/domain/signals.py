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
* since the last mastery gain on any skill: answers and days of practice;
* per skill run, when the caller gives each answer's chances (:func:`answer_chances`): how likely
  the learner is *stuck* on the skill, ``p_stuck``: the posterior that their learn rate on it is
  below ``STUCK_LEARN`` (they are not expected to learn it within ``1 / STUCK_LEARN`` answers)
  and that they do not know it now, with ``learn_rate``, the posterior mean rate
  (:func:`stuck_posterior`). The rate is estimated from the learner's own answers: their other
  runs in the rows read (how fast they learned other skills, or did not) and this run. A learner
  a few answers slow on a skill they learn others quickly in is not stuck; one who has learned
  nothing in long runs is, sooner.
"""

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pathwise_assessment.domain.mastery import (
    DEFAULT_MODEL,
    ItemEvidence,
    SkillModel,
    item_guess_slip,
    item_p_correct,
)

__all__ = [
    "LEARN_GRID",
    "OWN_SKILL_SHARE",
    "RUN_RECENT",
    "RUN_START_P",
    "STUCK_LEARN",
    "Answer",
    "Chances",
    "LearnerEvidence",
    "RecentErrors",
    "RunLikelihood",
    "SkillRun",
    "answer_chances",
    "answer_p_correct",
    "run_likelihood",
    "stuck_posterior",
    "summarize",
]

RUN_RECENT = 10

# The learn-rate line of the early warnings: a learner who learns a skill at fewer than one
# practice answer in 30 is not expected to learn it in the answers a step usually gets (the
# simulated school skips a step after 30), so they need a teacher, not more items.
STUCK_LEARN = 1 / 30
# The learn rates the posterior weighs (per answer, log-spaced; equal prior weight each): four
# below the line (0.03 is the slowest learning a normal learner shows), seven above it up to a
# fast 0.4. Not the skill's fitted rate: that is the class's mean; the flag asks about this
# learner.
LEARN_GRID = (0.003, 0.01, 0.02, 0.03, 0.045, 0.065, 0.09, 0.13, 0.19, 0.28, 0.4)
# P(known) at the start of every run in the learn-rate likelihood: left open, so a run answered
# right from its first answer (a skill known before practice) says little about how fast the
# learner learns. The model's own P(known) there is the skill's prior, which would read such a run
# as fast learning.
RUN_START_P = 0.5
# How much of the learner's rate on a skill comes from their other skills: their rate on one skill
# can differ (a harder skill, a prerequisite gap), so the posterior from their other runs is mixed
# with the flat prior at this share before this run's answers are weighed.
OWN_SKILL_SHARE = 0.15

# (P(right | the skill known), P(right | not known), right?) of one answer, for one skill.
Chances = tuple[float, float, bool]


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
    # Posterior that the learner is stuck on the skill now, and their posterior mean learn rate on
    # it (:func:`stuck_posterior`); None when the caller gave no answer chances.
    p_stuck: float | None = None
    learn_rate: float | None = None


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
        model = params.get(part.skill_code) or DEFAULT_MODEL
        chances.append(part.p_before * (1.0 - model.slip) + (1.0 - part.p_before) * model.guess)
    return math.prod(chances)


def answer_chances(parts: Sequence[Answer], code: str, params: Mapping[str, SkillModel]) -> Chances:
    """The chances of one answer (its history rows, one per skill) for the skill ``code``, as the
    mastery model scores it: right with ``1 - slip_i`` when every skill of the item is known,
    else ``guess_i`` (``domain.mastery.item_guess_slip``); the item's other skills known with
    their P(known) before the answer (at their prior without a row). Without the item, the
    skill's own guess and slip (the other skills' BKT P(correct) as the chance they hold)."""
    part = next(p for p in parts if p.skill_code == code)
    others = [p for p in parts if p.skill_code != code]
    item = parts[0].item
    if item is not None:
        guess, slip = item_guess_slip(item, params)
        known = {p.skill_code: p.p_before for p in others}
        rest = math.prod(
            known[c] if c in known else (params.get(c) or DEFAULT_MODEL).prior
            for c in dict.fromkeys(item.skill_codes)
            if c != code
        )
        right_known = rest * (1.0 - slip) + (1.0 - rest) * guess
        return right_known, guess, part.correct
    model = params.get(code) or DEFAULT_MODEL
    rest = 1.0
    for other in others:
        m = params.get(other.skill_code) or DEFAULT_MODEL
        rest *= other.p_before * (1.0 - m.slip) + (1.0 - other.p_before) * m.guess
    return rest * (1.0 - model.slip), rest * model.guess, part.correct


@dataclass(frozen=True)
class RunLikelihood:
    """A run's answers weighed at each rate of ``LEARN_GRID``: the log-likelihood of the answers,
    and P(not known) after the last of them."""

    log_likelihood: tuple[float, ...]
    p_unknown: tuple[float, ...]


def run_likelihood(answers: Sequence[Chances], start: float = RUN_START_P) -> RunLikelihood:
    """The forward pass of the two-state model (not known / known; learned after an answer at
    the rate, never forgotten within a run) over a run's answers, at every rate of the grid."""
    # Each answer's likelihood if known / if not known, then one pass per rate. The likelihoods
    # are multiplied and their log taken only before they could underflow (one log per answer
    # made the pass about half slower; the simulated school runs it after every answer).
    seen = [(k, u) if correct else (1.0 - k, 1.0 - u) for k, u, correct in answers]
    logs = []
    unknowns = []
    for rate in LEARN_GRID:
        keep = 1.0 - rate
        known, log_l, product = start, 0.0, 1.0
        for if_known, if_unknown in seen:
            k = known * if_known
            total = k + (1.0 - known) * if_unknown
            if total <= 0.0:  # an answer impossible under the model: no evidence either way
                continue
            product *= total
            if product < 1e-250:
                log_l += math.log(product)
                product = 1.0
            # Bayes on the answer, then learning from it at the rate.
            known = 1.0 - (1.0 - k / total) * keep
        logs.append(log_l + math.log(product))
        unknowns.append(1.0 - known)
    return RunLikelihood(tuple(logs), tuple(unknowns))


def _normalized(logs: Sequence[float]) -> list[float]:
    top = max(logs)
    weights = [math.exp(x - top) for x in logs]
    total = sum(weights)
    return [w / total for w in weights]


def stuck_posterior(
    run: RunLikelihood, others: Sequence[RunLikelihood], own_share: float = OWN_SKILL_SHARE
) -> tuple[float, float]:
    """(P(stuck now), posterior mean learn rate) of the learner on a run's skill. The learner's
    rate from their ``others`` runs (equal prior weight on each rate of the grid), mixed with the
    flat prior at ``own_share``, is the prior of this skill's rate; this run's answers weigh it.
    Stuck: the rate below ``STUCK_LEARN`` and the skill not known after the run's last answer."""
    n = len(LEARN_GRID)
    learner = _normalized([sum(o.log_likelihood[j] for o in others) for j in range(n)])
    prior = [(1.0 - own_share) * w + own_share / n for w in learner]
    post = _normalized([math.log(prior[j]) + run.log_likelihood[j] for j in range(n)])
    stuck = sum(
        post[j] * run.p_unknown[j] for j, rate in enumerate(LEARN_GRID) if rate < STUCK_LEARN
    )
    return stuck, sum(w * rate for w, rate in zip(post, LEARN_GRID, strict=True))


def summarize(
    learner_id: uuid.UUID,
    rows: Sequence[Answer],
    p_correct: Callable[[Sequence[Answer]], float],
    *,
    window: int,
    answers_total: int,
    first_answer_at: datetime | None,
    chances: Callable[[Sequence[Answer], str], Chances] | None = None,
) -> LearnerEvidence:
    """``rows`` in time order; ``p_correct(parts)`` is the model's chance that the answer made of
    these rows (one per skill it touched) was right (:func:`answer_p_correct`); ``chances(parts,
    code)`` the answer's chances for one of its skills (:func:`answer_chances`), without which
    the runs carry no ``p_stuck``."""
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
    # The learn-rate evidence: each run's answer chances, and the runs closed by a mastery gain.
    run_chances: dict[str, list[Chances]] = {}
    closed: list[list[Chances]] = []
    was_mastered: dict[str, bool] = {}
    gain_index = 0  # index in ``answers`` after the last mastery gain
    for index, parts in enumerate(answers):
        for part in parts:
            seen = chances(parts, part.skill_code) if chances is not None else None
            if was_mastered.get(part.skill_code, part.mastered) is False and part.mastered:
                gain_index = index + 1
                evidence.last_mastered_at = part.at
                runs[part.skill_code] = []
                # The learning the run ends with is evidence of the learner's rate.
                done = run_chances.pop(part.skill_code, [])
                closed.append([*done, seen] if seen is not None else done)
            elif part.mastered and not was_mastered.get(part.skill_code, False):
                # First row of the skill in the history read, already mastered: no run yet.
                runs[part.skill_code] = []
                run_chances[part.skill_code] = []
            else:
                runs.setdefault(part.skill_code, []).append(part)
                if seen is not None:
                    run_chances.setdefault(part.skill_code, []).append(seen)
            was_mastered[part.skill_code] = part.mastered
    weighed = {code: run_likelihood(found) for code, found in run_chances.items() if found}
    history = [run_likelihood(found) for found in closed if found]
    since = answers[gain_index:]
    evidence.answers_since_mastery = len(since)
    evidence.practice_days_since_mastery = _days([parts[0].at for parts in since])
    for code, run in sorted(runs.items()):
        if not run:
            continue
        p_stuck = learn_rate = None
        if code in weighed:
            others = [*history, *(w for c, w in weighed.items() if c != code)]
            p_stuck, learn_rate = stuck_posterior(weighed[code], others)
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
                p_stuck,
                learn_rate,
            )
        )
    return evidence
