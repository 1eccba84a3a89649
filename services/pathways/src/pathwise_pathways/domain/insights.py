"""Class insights: learners flagged early, each flag with a reason code, a sentence and the numbers
behind it (docs/pathways.md, "Insights").

The evidence flags read assessment's signals (``POST /internal/signals``): counts of scored answers
and P(known) moves from the mastery history, and the model's own expectation of wrong answers.

* ``prerequisite_gap``: a direct prerequisite of the current step's skill has P(known) below
  ``PREREQUISITE_GAP_P`` (skipped, or mastery lost): the learner builds on what is likely absent.
  It names the skill and the prerequisite, and is raised from the first answer on the skill; a
  stall on that skill is reported as this, not as ``no_progress``.
* ``no_progress``: the learner is likely *stuck* on the skill being practised (the current step's;
  without answers on it, the latest answer's): after at least ``STUCK_MIN_ANSWERS`` answers on
  it since it was last mastered, assessment's ``p_stuck`` (the posterior that the learner's learn
  rate on the skill is below one answer in 30 and that they do not know it now, estimated from
  their answers on it and on their other skills) is at least ``STUCK_P``. A learner who learned
  their other skills quickly is not stuck after the same answers as one who learned nothing in
  long runs. From an assessment that sends no ``p_stuck``, the older rule: ``NO_PROGRESS_ANSWERS``
  scored answers (or ``ERROR_MIN_ANSWERS`` on ``NO_PROGRESS_DAYS`` days of practice) without
  mastery and with the mean P(known) over the run's last answers still below ``PROGRESS_LEVEL``,
  or no skill at all mastered over twice that many answers and ``NO_PROGRESS_DAYS`` days of
  practice. Days of practice are days with an answer, not calendar days: a holiday is no stall.
* ``error_rate_high``: over the latest answers (at least ``ERROR_MIN_ANSWERS``), the wrong answers
  exceed the number the model expected by more than ``ERROR_SIGMAS`` standard deviations of that
  expected count (a sum of Bernoulli trials). The model already expects a learner it believes
  does not know the skill to be wrong: this fires on errors the estimate does not explain. Two
  signals: on a skill not yet mastered the errors must be supported by the learn-rate posterior
  (``p_stuck`` of the practised skill at least ``ERROR_STUCK_P``), since a learner slowly learning
  makes more errors than a model at the class's learn rate expects without needing help; errors
  on a skill the run began believing known (mastered, then lost) need no support.
* ``behind_pace``: skills mastered per week over the recent weeks of practice, against the
  goal's remaining skills per week left to its target date; only with ``PACE_MIN_DAYS`` of
  history or ``PACE_MIN_ANSWERS`` answers, so nobody is behind on day one.

``no_pathway`` and ``accommodation_not_applied`` are unchanged. Each flag carries a ``key``: the
evidence it is about (the skill, the goals); a dismissed flag stays dismissed while the key is the
same, and a new key is a new flag.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

__all__ = [
    "ERROR_MIN_ANSWERS",
    "ERROR_SIGMAS",
    "ERROR_STUCK_P",
    "HOLD_ERROR_SIGMAS",
    "HOLD_PROGRESS_LEVEL",
    "HOLD_STUCK_P",
    "NO_PROGRESS_ANSWERS",
    "NO_PROGRESS_DAYS",
    "PACE_MIN_ANSWERS",
    "PACE_MIN_DAYS",
    "PACE_WINDOW_DAYS",
    "PREREQUISITE_GAP_P",
    "PROGRESS_LEVEL",
    "STUCK_MIN_ANSWERS",
    "STUCK_P",
    "Evidence",
    "Flag",
    "GoalLoad",
    "LearnerSignals",
    "RecentErrors",
    "SkillRun",
    "flag_learner",
]

NO_PROGRESS_ANSWERS = 20
NO_PROGRESS_DAYS = 5
# A learner who has understood is believed to by the model within a few right answers, before
# the evidence needed for mastery is in: P(known) over the run's last answers (their mean, so
# one lucky right answer does not clear the flag and the next wrong one raise it again) at or
# above this level is progress.
PROGRESS_LEVEL = 0.5
# Hysteresis: a flag already raised holds until its evidence is clearly gone, not the moment it
# dips under the raising line. Without it a learner near the line was flagged and unflagged on
# alternate answers (about 16 raises per learner over a term in the simulated school), each a
# learner.flagged event and each ending a teacher's dismissal. no_progress holds while the recent
# P(known) stays under HOLD_PROGRESS_LEVEL; error_rate_high while the excess of wrong answers
# stays above HOLD_ERROR_SIGMAS.
HOLD_PROGRESS_LEVEL = 0.55
# A direct prerequisite of the practised skill below this P(known) is a gap: the model leans to
# "not known" (mastery needs far more), so building on it is building on what is likely absent.
PREREQUISITE_GAP_P = 0.5
ERROR_MIN_ANSWERS = 10
ERROR_SIGMAS = 2.0
HOLD_ERROR_SIGMAS = 1.5
# The stuck posterior (assessment's ``p_stuck``). Raised at 0.65: in the simulated school (docs/
# benchmarks.md, "Simulated school") 0.7 caught fewer than 0.9 of the truly stuck stretches within
# 40 answers, 0.6 flags more learners who are only slow (a learn rate just above one in 30 looks
# the same for a while). Held while it stays above HOLD_STUCK_P (hysteresis, as above). Not
# before STUCK_MIN_ANSWERS answers on the skill: the posterior of a few answers is mostly the
# learner's other skills.
STUCK_MIN_ANSWERS = 10
STUCK_P = 0.65
HOLD_STUCK_P = 0.55
# error_rate_high on a skill being learned needs the posterior to lean to stuck at least this far.
ERROR_STUCK_P = 0.5
PACE_MIN_DAYS = 14
PACE_MIN_ANSWERS = 150
PACE_WINDOW_DAYS = 28

Number = int | float | str | None


@dataclass(frozen=True)
class SkillRun:
    skill_code: str
    answers: int
    practice_days: int
    p_start: float
    p_now: float
    mastered: bool
    last_at: datetime | None = None
    # Mean P(known) after each of the run's last answers (assessment's ``p_recent``); None from
    # an assessment that does not send it, then ``p_now`` stands in.
    p_recent: float | None = None
    # Posterior that the learner is stuck on the skill and their posterior mean learn rate on it
    # (assessment's ``p_stuck`` and ``learn_rate``); None from an assessment that does not send
    # them, then the older rule stands in.
    p_stuck: float | None = None
    learn_rate: float | None = None


@dataclass(frozen=True)
class RecentErrors:
    answers: int
    observed_wrong: int
    expected_wrong: float
    variance: float


@dataclass(frozen=True)
class Evidence:
    answers_total: int = 0
    first_answer_at: datetime | None = None
    last_answer_at: datetime | None = None
    recent: RecentErrors = RecentErrors(0, 0, 0.0, 0.0)
    runs: Mapping[str, SkillRun] = field(default_factory=dict)
    answers_since_mastery: int = 0
    practice_days_since_mastery: int = 0


@dataclass(frozen=True)
class GoalLoad:
    """A goal of the pathway: its open (not mastered, placed or skipped) steps."""

    skill_code: str
    target_date: date | None
    remaining: int


@dataclass(frozen=True)
class LearnerSignals:
    learner_id: str
    has_pathway: bool
    current_skill: str | None
    evidence: Evidence
    goals: Sequence[GoalLoad]
    mastered_at: Sequence[datetime]  # when each step of the pathway was mastered
    missing_features: Sequence[str]
    # The current skill's direct prerequisites with the learner's P(known) now, for those with
    # evidence (a prerequisite never answered is not known to be a gap).
    prerequisites: Mapping[str, float] = field(default_factory=dict)
    # The flags raised now (as last stored): code → key, for the hysteresis of the holds.
    held: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str
    numbers: Mapping[str, Number] = field(default_factory=dict)
    key: str = ""


def _live_run(s: LearnerSignals) -> SkillRun | None:
    """The run the learner is on now: the current step's skill; without one (or without answers
    on it), the skill of the latest answer (practice is not always on the planned step: a
    teacher's check, another lesson). One run, so a multi-skill answer that also touches a
    prerequisite does not swap the flag's skill back and forth."""
    e = s.evidence
    current = e.runs.get(s.current_skill) if s.current_skill else None
    if current is not None:
        return None if current.mastered else current
    latest = [
        run
        for _, run in sorted(e.runs.items())
        if not run.mastered and run.last_at is not None and run.last_at == e.last_answer_at
    ]
    return max(latest, key=lambda r: r.answers, default=None)


def _gap(s: LearnerSignals) -> tuple[str, float] | None:
    """The current skill's weakest direct prerequisite, when it is a gap."""
    weak = [(p, code) for code, p in s.prerequisites.items() if p < PREREQUISITE_GAP_P]
    if s.current_skill is None or not weak:
        return None
    p, code = min(weak)
    return code, p


def _prerequisite_gap(s: LearnerSignals) -> Flag | None:
    found = _gap(s)
    if found is None or s.current_skill is None:
        return None
    code, p = found
    weak = sorted(c for c, v in s.prerequisites.items() if v < PREREQUISITE_GAP_P)
    run = s.evidence.runs.get(s.current_skill)
    return Flag(
        "prerequisite_gap",
        f"{s.current_skill} is practised while its prerequisite {code} is likely not known "
        f"(P(known) {p:.2f})",
        {
            "skill_code": s.current_skill,
            "prerequisite_code": code,
            "p_known_prerequisite": round(p, 3),
            "weak_prerequisites": ",".join(weak),
            "answers_on_skill": run.answers if run else 0,
            "threshold": PREREQUISITE_GAP_P,
        },
        key=f"skill:{s.current_skill}:{code}",
    )


def _no_progress(s: LearnerSignals) -> Flag | None:
    e = s.evidence
    run = _live_run(s)
    # A skill whose prerequisite is a gap is flagged as that: the reason a teacher can act on.
    gap = run is not None and run.skill_code == s.current_skill and _gap(s) is not None
    holding = run is not None and s.held.get("no_progress") == f"skill:{run.skill_code}"
    if run is not None and not gap and _stalled(run, holding):
        numbers: dict[str, Number] = {
            "skill_code": run.skill_code,
            "answers": run.answers,
            "practice_days": run.practice_days,
            "p_known_start": round(run.p_start, 3),
            "p_known_now": round(run.p_now, 3),
        }
        if run.p_stuck is None:
            numbers |= {"min_answers": NO_PROGRESS_ANSWERS, "min_practice_days": NO_PROGRESS_DAYS}
            why = ""
        else:
            numbers |= {
                "p_stuck": round(run.p_stuck, 3),
                "learn_rate": None if run.learn_rate is None else round(run.learn_rate, 3),
                "threshold": HOLD_STUCK_P if holding else STUCK_P,
                "min_answers": STUCK_MIN_ANSWERS,
            }
            why = f"; likely stuck (P {run.p_stuck:.2f})"
        return Flag(
            "no_progress",
            f"{run.answers} scored answers on {run.skill_code} over {run.practice_days} "
            f"days of practice without mastery (P(known) {run.p_start:.2f} → "
            f"{run.p_now:.2f}){why}",
            numbers,
            key=f"skill:{run.skill_code}",
        )
    # With the learn-rate posterior the learner's whole record is already in the live run's
    # p_stuck; a count of answers since any mastery adds only the slow learners it catches.
    posterior = run is not None and run.p_stuck is not None
    if (
        not gap
        and not posterior
        and e.answers_since_mastery >= 2 * NO_PROGRESS_ANSWERS
        and e.practice_days_since_mastery >= NO_PROGRESS_DAYS
    ):
        return Flag(
            "no_progress",
            f"no skill mastered over {e.answers_since_mastery} scored answers and "
            f"{e.practice_days_since_mastery} days of practice",
            {
                "answers": e.answers_since_mastery,
                "practice_days": e.practice_days_since_mastery,
                "min_answers": 2 * NO_PROGRESS_ANSWERS,
                "min_practice_days": NO_PROGRESS_DAYS,
            },
            key="any",
        )
    return None


def _stalled(run: SkillRun, holding: bool = False) -> bool:
    if run.p_stuck is not None:
        line = HOLD_STUCK_P if holding else STUCK_P
        return run.answers >= STUCK_MIN_ANSWERS and run.p_stuck >= line
    long_run = run.answers >= NO_PROGRESS_ANSWERS or (
        run.practice_days >= NO_PROGRESS_DAYS and run.answers >= ERROR_MIN_ANSWERS
    )
    level = run.p_now if run.p_recent is None else run.p_recent
    if holding:
        return long_run and level < HOLD_PROGRESS_LEVEL
    # Raised only when the latest estimate agrees: a learner who has just understood answers
    # right and climbs, while the mean over the run still remembers the stall.
    return long_run and level < PROGRESS_LEVEL and run.p_now < PROGRESS_LEVEL


def _error_rate(s: LearnerSignals) -> Flag | None:
    r = s.evidence.recent
    if r.answers < ERROR_MIN_ANSWERS:
        return None
    sd = math.sqrt(max(r.variance, 0.0))
    excess = r.observed_wrong - r.expected_wrong
    sigmas = HOLD_ERROR_SIGMAS if "error_rate_high" in s.held else ERROR_SIGMAS
    # A floor on the deviation: with a model sure of every answer, one wrong would be "sigmas".
    if excess <= sigmas * max(sd, 1.0):
        return None
    # The second signal: errors on a skill being learned count when the learner is likely stuck
    # on it, not merely slower than the class (a run begun with the skill believed known is a
    # loss: the errors alone tell).
    run = _live_run(s)
    support = None if run is None else run.p_stuck
    if (
        run is not None
        and support is not None
        and support < ERROR_STUCK_P
        and run.p_start < PROGRESS_LEVEL
    ):
        return None
    numbers: dict[str, Number] = {
        "answers": r.answers,
        "observed_wrong": r.observed_wrong,
        "expected_wrong": round(r.expected_wrong, 2),
        "sd": round(sd, 2),
        "sigmas": round(excess / max(sd, 1e-9), 2),
    }
    if run is not None and support is not None:
        numbers |= {"skill_practised": run.skill_code, "p_stuck": round(support, 3)}
    return Flag(
        "error_rate_high",
        f"{r.observed_wrong} wrong of the last {r.answers} answers where the model expected "
        f"{r.expected_wrong:.1f} (± {sd:.1f})",
        numbers,
        key="recent",
    )


def _behind_pace(s: LearnerSignals, now: datetime) -> Flag | None:
    e = s.evidence
    if e.first_answer_at is None:
        return None
    history_days = (now - e.first_answer_at).total_seconds() / 86400.0
    if history_days < PACE_MIN_DAYS and e.answers_total < PACE_MIN_ANSWERS:
        return None
    window_days = min(max(history_days, 7.0), float(PACE_WINDOW_DAYS))
    since = now - timedelta(days=window_days)
    mastered = sum(1 for at in s.mastered_at if at >= since)
    observed = mastered / (window_days / 7.0)
    behind = []
    worst_needed = 0.0
    for goal in s.goals:
        if goal.target_date is None or goal.remaining == 0:
            continue
        weeks_left = (goal.target_date - now.date()).days / 7.0
        needed = goal.remaining / weeks_left if weeks_left > 0 else math.inf
        if observed < needed:
            behind.append(goal)
            worst_needed = max(worst_needed, needed)
    if not behind:
        return None
    codes = sorted(g.skill_code for g in behind)
    needed_text = (
        "the target date has passed"
        if math.isinf(worst_needed)
        else (f"needs {worst_needed:.1f} per week")
    )
    return Flag(
        "behind_pace",
        f"{observed:.1f} skills mastered per week over the last {window_days:.0f} days; goal "
        f"{', '.join(codes)} {needed_text}",
        {
            "observed_per_week": round(observed, 2),
            "needed_per_week": None if math.isinf(worst_needed) else round(worst_needed, 2),
            "window_days": round(window_days, 1),
            "remaining_skills": sum(g.remaining for g in behind),
            "goal_codes": ",".join(codes),
        },
        key="goals:" + ",".join(codes),
    )


def flag_learner(signals: LearnerSignals, now: datetime) -> list[Flag]:
    if not signals.has_pathway:
        return [Flag("no_pathway", "no pathway has been planned yet", key="none")]
    flags = [
        f
        for f in (
            _prerequisite_gap(signals),
            _no_progress(signals),
            _error_rate(signals),
            _behind_pace(signals, now),
        )
        if f is not None
    ]
    if signals.missing_features:
        flags.append(
            Flag(
                "accommodation_not_applied",
                "the chosen activity lacks " + ", ".join(signals.missing_features),
                {"missing": ",".join(signals.missing_features)},
                key=",".join(signals.missing_features),
            )
        )
    return flags
