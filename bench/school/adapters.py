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
  parameters per skill (defaults without a fit) as ``domain.mastery.skill_model``, each state of
  the item's skills taken to the answer's time with ``domain.mastery.current_state`` (decay from
  the state's ``updated_at``), then ``domain.mastery.apply_item_response`` with the item's
  difficulty, discrimination and guess floor (``service.mastery.item_evidence``: a four-option
  single-choice item's, :func:`guess_floor`; joint credit and blame over the item's skills); reads
  (:meth:`MasteryBook.p_known`, :meth:`MasteryBook.mastered` with ``now``) decay like the API's;
* :func:`flags` — ``pathways.service.classes.class_insights``: the evidence assessment's
  ``POST /internal/signals`` returns (``assessment.domain.signals.summarize`` over the learner's
  last ``HISTORY_ROWS`` history rows, P(correct) of each answer as the model scored it:
  ``domain.signals.answer_p_correct``, the item's guess and slip and P(known) before it of each
  of its skills; each answer's chances for the learn-rate posterior behind ``p_stuck``:
  ``domain.signals.answer_chances``), the first ready step as the current skill, each goal's open steps and the
  times steps were mastered, then ``pathways.domain.insights.flag_learner``;
* :func:`fit` — ``assessment.service.fits.fit_observations`` (item-aware EM over the scored
  responses, each with its item's difficulty and guess floor as ``complete_fit`` reads them:
  :func:`fit_item`; skills with fewer than ``min_responses`` keep their defaults), stored as
  ``BktParams`` with ``forget`` 0 like ``complete_fit``.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.bkt import DEFAULT_PARAMS, BktParams, p_correct
from pathwise_assessment.domain.scoring import guess_chance
from pathwise_assessment.domain.signals import (
    Answer,
    answer_chances,
    answer_p_correct,
    summarize,
)
from pathwise_assessment.service.fits import fit_observations
from pathwise_assessment.service.signals import HISTORY_ROWS, RECENT_ANSWERS
from pathwise_pathways.domain.graph import SkillGraph
from pathwise_pathways.domain.insights import (
    Evidence,
    Flag,
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
    "fit_item",
    "flags",
    "guess_floor",
    "medians_of",
    "plan",
    "predicted_correct",
    "service_default_assume_prior_grades",
]

FLAG_CODES = ("prerequisite_gap", "no_progress", "error_rate_high", "behind_pace")
FIT_MIN_RESPONSES = 50  # the service's default (settings.fit_min_responses, the API's default)
# The simulated choice items are four-option single-choice items; the service takes the floor
# from the stored version's spec.
_FOUR_OPTIONS = {
    "type": "single_choice",
    "choices": [{"id": k, "text": k} for k in "abcd"],
    "correct": "a",
}


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


def guess_floor(choice: bool) -> float:
    """The guess floor the service gives the item (``service.mastery.item_evidence``)."""
    return guess_chance(_FOUR_OPTIONS) if choice else 0.0


@dataclass
class SkillState:
    state: rule.MasteryState
    updated_at: datetime


@dataclass
class MasteryBook:
    """One learner's mastery rows, updated per scored response like the service does."""

    params: Mapping[str, tuple[BktParams, float]] = field(default_factory=dict)
    states: dict[str, SkillState] = field(default_factory=dict)
    # What assessment's mastery history keeps: a row per skill of each scored answer.
    history: list[Answer] = field(default_factory=list)
    answers: int = 0
    mastered_at: dict[str, datetime] = field(default_factory=dict)

    def params_of(self, code: str) -> tuple[BktParams, float]:
        return self.params.get(code, (DEFAULT_PARAMS, rule.DEFAULT_THRESHOLD))

    def model_of(self, code: str) -> rule.SkillModel:
        bkt, threshold = self.params_of(code)
        return rule.skill_model(bkt, threshold)

    def current(self, code: str, now: datetime | None = None) -> rule.MasteryState:
        """The state as the API shows it at ``now`` (decayed since it was written; the stored
        state when ``now`` is None); the prior if unseen."""
        found = self.states.get(code)
        if found is None:
            return rule.MasteryState(self.params_of(code)[0].prior)
        if now is None:
            return found.state
        return rule.current_state(found.state, self.model_of(code), found.updated_at, now)

    def p_known(self, code: str, now: datetime | None = None) -> float:
        return self.current(code, now).p_known

    def mastered(self, code: str, now: datetime | None = None) -> bool:
        return self.current(code, now).mastered

    def answer(
        self,
        skills: Iterable[str],
        difficulty: float,
        correct: bool,
        now: datetime,
        discrimination: float = 1.0,
        floor: float = 0.0,
    ) -> list[tuple[str, rule.MasteryState, rule.MasteryState]]:
        """(skill, state before, state after) of every skill the response touches."""
        codes = list(dict.fromkeys(skills))
        models = {code: self.model_of(code) for code in codes}
        before = {code: self.current(code) for code in codes}
        start = {code: self.current(code, now) for code in codes}
        item = rule.ItemEvidence(tuple(codes), difficulty, discrimination, guess_floor=floor)
        after = rule.apply_item_response(start, item, correct, models)
        moved = []
        self.answers += 1
        for code in codes:
            self.states[code] = SkillState(after[code], now)
            # The history row the service writes: P(known) before (at the answer's time) and after.
            self.history.append(
                Answer(
                    self.answers,  # type: ignore[arg-type]
                    code,
                    correct,
                    start[code].p_known,
                    after[code].p_known,
                    after[code].mastered,
                    now,
                    item,
                )
            )
            if after[code].mastered and not start[code].mastered:
                self.mastered_at[code] = now
            moved.append((code, before[code], after[code]))
        return moved


def predicted_correct(
    book: MasteryBook,
    code: str,
    item_skills: Sequence[str] | None = None,
    difficulty: float = 0.0,
    now: datetime | None = None,
    floor: float = 0.0,
) -> float:
    """The model's P(correct) of the next answer on ``code`` (for the AUC): with the item, the
    model's own (its guess and slip from the difficulty and guess floor, every skill of the
    item known);
    without, the skill's BKT guess and slip."""
    if item_skills is None:
        return p_correct(book.p_known(code, now), book.params_of(code)[0])
    codes = list(dict.fromkeys(item_skills))
    models = {c: book.model_of(c) for c in codes}
    item = rule.ItemEvidence(tuple(codes), difficulty, guess_floor=floor)
    return rule.item_p_correct({c: book.p_known(c, now) for c in codes}, item, models)


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
    prereqs: Mapping[str, Sequence[str]],
    pace: str = "steady",
    held: Mapping[str, str] | None = None,
) -> list[Flag]:
    """The evidence flags the class insights would show for this learner at ``now``;
    ``prereqs``: each skill's direct prerequisites (the district graph's)."""
    current = next((s.code for s in steps if s.ready), None)
    rows = book.history[-HISTORY_ROWS:]
    models = {code: book.model_of(code) for code in {r.skill_code for r in rows}}
    found = summarize(
        "sim",  # type: ignore[arg-type]
        rows,
        lambda parts: answer_p_correct(parts, models),
        window=RECENT_ANSWERS,
        answers_total=book.answers,
        first_answer_at=book.history[0].at if book.history else None,
        chances=lambda parts, code: answer_chances(parts, code, models),
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
                r.skill_code,
                r.answers,
                r.practice_days,
                r.p_start,
                r.p_now,
                r.mastered,
                r.last_at,
                r.p_recent,
                r.p_stuck,
                r.learn_rate,
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
        # The current step's direct prerequisites the learner has a mastery state of, P(known)
        # as the API shows it now.
        prerequisites={
            code: book.p_known(code, now)
            for code in (prereqs.get(current, ()) if current else ())
            if code in book.states
        },
        held=dict(held or {}),
    )
    return [f for f in flag_learner(signals, now) if f.code in FLAG_CODES]


# -- fitting ----------------------------------------------------------------------------------


def fit_item(skills: Iterable[str], difficulty: float, choice: bool) -> rule.ItemEvidence:
    """The item as the fit job reads it (``service.mastery.item_evidence`` of the pinned
    version: skills, difficulty, discrimination 1 as the simulated items have, guess floor)."""
    return rule.ItemEvidence(
        tuple(dict.fromkeys(skills)), difficulty, 1.0, guess_floor=guess_floor(choice)
    )


def fit(
    observations: Sequence[tuple[Any, bool, rule.ItemEvidence, datetime]],
    min_responses: int = FIT_MIN_RESPONSES,
) -> dict[str, tuple[BktParams, float]]:
    """(learner, correct, item, time) rows in time order → parameters per fitted skill."""
    fitted = fit_observations(observations, min_responses)
    return {
        code: (BktParams(v["prior"], v["learn"], v["guess"], v["slip"], 0.0),
               rule.DEFAULT_THRESHOLD)
        for code, v in fitted.items()
    }  # fmt: skip
