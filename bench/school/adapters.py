"""The only place the simulated school touches the project's code: thin adapters that call the
planner, the mastery rule, the flags and the EM fitter exactly as the services do.

When the mastery model, the flags or placement change, this module changes with them and the rest
of the simulator stays as it is. Each adapter names the service code it mirrors:

* :func:`plan` — ``pathways.service.pathways.replan`` (``plan_steps`` on the district graph with
  mastered = mastered codes from assessment + the assumed-mastered codes kept on the pathway,
  skipped steps as ``skipped``);
* :func:`assumed_mastered` — ``pathways.service.pathways.planning._assumed_mastered`` (the
  ``assume_prior_grades`` option of ``POST /v1/learners/{id}/pathway``), called as is;
* :class:`MasteryBook` — ``assessment.service.mastery.record_evidence``: per scored response,
  every skill of the item (deduplicated), parameters per skill (defaults without a fit), decay
  from the state's ``updated_at`` applied first when it moves P(known) by more than 1e-3,
  "hard" judged against the median difficulty of every active item tagged with the skill, then
  ``domain.mastery.apply_response``;
* :func:`flags` — ``pathways.service.classes.class_insights``: the evidence assessment's
  ``POST /internal/signals`` returns (``assessment.domain.signals.summarize`` over the learner's
  last ``HISTORY_ROWS`` history rows, P(correct) from P(known) before each answer and the skill's
  guess and slip), the first ready step as the current skill, each goal's open steps and the
  times steps were mastered, then ``pathways.domain.insights.flag_learner``;
* :func:`fit` — ``assessment.service.fits.fit_observations`` (EM over the scored responses, skills
  with fewer than ``min_responses`` keep their defaults), stored as ``BktParams`` with
  ``forget`` 0 like ``complete_fit``.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.bkt import DEFAULT_PARAMS, BktParams, decay, p_correct
from pathwise_assessment.domain.signals import Answer, summarize
from pathwise_assessment.service.fits import fit_observations
from pathwise_assessment.service.mastery import DECAY_HALF_LIFE_DAYS
from pathwise_assessment.service.signals import HISTORY_ROWS, RECENT_ANSWERS
from pathwise_pathways.domain.graph import SkillGraph
from pathwise_pathways.domain.insights import (
    Evidence,
    GoalLoad,
    LearnerSignals,
    RecentErrors,
    SkillRun,
    flag_learner,
)
from pathwise_pathways.domain.planner import Goal, PlannedStep, plan_steps
from pathwise_pathways.service.pathways.planning import _assumed_mastered

__all__ = [
    "FLAG_CODES",
    "MasteryBook",
    "SkillState",
    "assumed_mastered",
    "fit",
    "flags",
    "medians_of",
    "plan",
    "predicted_correct",
    "service_default_assume_prior_grades",
]

FLAG_CODES = ("no_progress", "error_rate_high", "behind_pace")
FIT_MIN_RESPONSES = 50  # the service's default (settings.fit_min_responses, the API's default)


# -- planning ---------------------------------------------------------------------------------


def plan(
    graph: SkillGraph,
    goals: Sequence[tuple[str, date | None]],
    mastered: Collection[str],
    assumed: Collection[str],
    skipped: Collection[str],
) -> list[PlannedStep]:
    return plan_steps(
        graph,
        [Goal(code, day) for code, day in goals],
        set(mastered) | set(assumed),
        skipped=set(skipped),
    )


def assumed_mastered(
    grades: Mapping[str, str], learner_grade: str, evidence: Mapping[str, bool]
) -> list[str]:
    """``evidence``: skill → mastered, for the skills assessment has a state of."""
    # The service reads the grade from each skill row of its district graph; a namespace with
    # the same attributes is all the function looks at.
    graph: Any = SimpleNamespace(
        skills={code: SimpleNamespace(grade=grade) for code, grade in grades.items()}
    )
    return _assumed_mastered(
        graph, learner_grade, {c: {"mastered": m} for c, m in evidence.items()}
    )


def service_default_assume_prior_grades() -> bool:
    """What ``POST /v1/learners/{id}/pathway`` does when the caller does not say."""
    from pathwise_pathways.schemas.pathways import PlanRequest

    return bool(PlanRequest.model_fields["assume_prior_grades"].default)


# -- mastery ----------------------------------------------------------------------------------


@dataclass
class SkillState:
    state: rule.MasteryState
    updated_at: datetime


@dataclass
class MasteryBook:
    """One learner's mastery rows, updated per scored response like the service does."""

    medians: Mapping[str, float | None]
    params: Mapping[str, tuple[BktParams, float]] = field(default_factory=dict)
    states: dict[str, SkillState] = field(default_factory=dict)
    # What assessment's mastery history keeps: a row per skill of each scored answer.
    history: list[Answer] = field(default_factory=list)
    answers: int = 0
    mastered_at: dict[str, datetime] = field(default_factory=dict)

    def params_of(self, code: str) -> tuple[BktParams, float]:
        return self.params.get(code, (DEFAULT_PARAMS, rule.DEFAULT_THRESHOLD))

    def p_known(self, code: str, now: datetime | None = None) -> float:
        """What the API shows (the stored value: reads do not decay); the prior if unseen."""
        found = self.states.get(code)
        return self.params_of(code)[0].prior if found is None else found.state.p_known

    def mastered(self, code: str) -> bool:
        found = self.states.get(code)
        return found is not None and found.state.mastered

    def answer(
        self, skills: Iterable[str], difficulty: float, correct: bool, now: datetime
    ) -> list[tuple[str, rule.MasteryState, rule.MasteryState]]:
        """(skill, state before, state after) of every skill the response touches."""
        moved = []
        self.answers += 1
        response = self.answers
        for code in dict.fromkeys(skills):
            bkt, threshold = self.params_of(code)
            row = self.states.get(code)
            before = rule.MasteryState(bkt.prior) if row is None else row.state
            start = before
            if row is not None:
                days = (now - row.updated_at).total_seconds() / 86400.0
                decayed = decay(before.p_known, bkt.prior, days, DECAY_HALF_LIFE_DAYS)
                if before.p_known - decayed > 1e-3:
                    start = rule.reassess(
                        rule.MasteryState(
                            decayed, before.mastered, before.evidence_count,
                            before.hard_correct_count,
                        ),
                        threshold,
                    )  # fmt: skip
            hard = rule.is_hard(difficulty, self.medians.get(code))
            after = rule.apply_response(
                start, correct=correct, hard=hard, params=bkt, threshold=threshold
            )
            self.states[code] = SkillState(after, now)
            self.history.append(
                Answer(response, code, correct, start.p_known, after.p_known, after.mastered, now)  # type: ignore[arg-type]
            )
            if after.mastered and not start.mastered:
                self.mastered_at[code] = now
            moved.append((code, before, after))
        return moved


def predicted_correct(book: MasteryBook, code: str) -> float:
    """The model's P(correct) of the next answer on ``code`` (for the AUC)."""
    return p_correct(book.p_known(code), book.params_of(code)[0])


def medians_of(difficulties: Mapping[str, list[float]]) -> dict[str, float | None]:
    return {code: rule.median(values) for code, values in difficulties.items()}


# -- flags ------------------------------------------------------------------------------------


def flags(
    book: MasteryBook,
    steps: Sequence[PlannedStep],
    done: Collection[str],
    goals: Sequence[tuple[str, date | None]],
    current_since: datetime | None,
    now: datetime,
    pace: str = "steady",
) -> list[str]:
    """Flag codes the class insights would show for this learner at ``now``."""
    current = next((s.code for s in steps if s.ready), None)
    rows = book.history[-HISTORY_ROWS:]
    found = summarize(
        "sim",  # type: ignore[arg-type]
        rows,
        lambda code, p: p_correct(p, book.params_of(code)[0]),
        window=RECENT_ANSWERS,
        answers_total=book.answers,
        first_answer_at=book.history[0].at if book.history else None,
    )
    evidence = Evidence(
        answers_total=found.answers_total,
        first_answer_at=found.first_answer_at,
        last_answer_at=found.last_answer_at,
        recent=RecentErrors(
            found.recent.answers,
            found.recent.observed_wrong,
            found.recent.expected_wrong,
            found.recent.variance,
        ),
        runs={
            r.skill_code: SkillRun(
                r.skill_code, r.answers, r.practice_days, r.p_start, r.p_now, r.mastered, r.last_at
            )
            for r in found.skills
        },
        answers_since_mastery=found.answers_since_mastery,
        practice_days_since_mastery=found.practice_days_since_mastery,
    )
    # The pathway keeps its mastered steps (with mastered_at) and its open ones with goal codes.
    loads = [
        GoalLoad(code, day, sum(1 for s in steps if code in s.goal_codes)) for code, day in goals
    ]
    signals = LearnerSignals(
        learner_id="sim",
        has_pathway=True,
        current_skill=current,
        evidence=evidence,
        goals=loads,
        mastered_at=[at for code, at in book.mastered_at.items() if code in done],
        missing_features=[],
    )
    return [f.code for f in flag_learner(signals, now) if f.code in FLAG_CODES]


# -- fitting ----------------------------------------------------------------------------------


def fit(
    observations: Sequence[tuple[Any, bool, list[str], datetime]],
    min_responses: int = FIT_MIN_RESPONSES,
) -> dict[str, tuple[BktParams, float]]:
    """(learner, correct, skills, time) rows in time order → parameters per fitted skill."""
    fitted = fit_observations(observations, min_responses)
    return {
        code: (BktParams(v["prior"], v["learn"], v["guess"], v["slip"], 0.0),
               rule.DEFAULT_THRESHOLD)
        for code, v in fitted.items()
    }  # fmt: skip
