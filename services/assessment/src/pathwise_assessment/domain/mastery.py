"""The mastery model: from scored responses to P(known), evidence and *mastered*, per skill.

The model (issue 14; the reasoning is in docs/assessment.md, "Mastery"):

- **Item difficulty on an absolute scale** (KT-IDEM-like): every item gets its own guess and slip,
  derived from the skill's BKT guess/slip and the item's IRT difficulty ``b`` and discrimination
  ``a``: ``logit(guess_i) = logit(guess) - k·a·b``, ``logit(slip_i) = logit(slip) + k·a·b``,
  kept inside [``ITEM_GUESS_SLIP_MIN``, ``ITEM_GUESS_SLIP_MAX``]. A right answer to an easy
  (guessable) item is weak evidence, to a hard item strong evidence; a wrong answer to an easy item
  counts more against the learner than one to a hard item.
- **Guess floor**: an item whose answer can be picked blind is guessed at least that often, however
  hard it is (a four-option choice item: 1 in 4; ``domain.scoring.guess_chance``), so the item's
  guess is never below its ``guess_floor``: a right answer to a hard choice item is not strong
  evidence, and a choice item informs the evidence floor only if its floor is low enough.
- **Multi-skill items are conjunctive**: ``P(correct | states) = 1 - slip_i`` when every skill of
  the item is known, else ``guess_i``. Each skill's posterior marginalizes the other skills with
  their current P(known), so a skill is credited or blamed by how likely it is to be the cause.
- **Evidence floor**: ``evidence_weight`` is a CUSUM of the log-likelihood ratio (known vs unknown)
  of the learner's answers: wrong answers subtract their weight, right answers on *informative*
  items (``guess_i ≤ INFORMATIVE_GUESS_MAX``) add theirs, right answers on guessable items add
  nothing, and it never goes below 0 nor above ``EVIDENCE_CAP``. Mastered needs P(known) ≥ the
  threshold **and** ``evidence_weight ≥ EVIDENCE_NEEDED``: easy items alone cannot reach it, a lucky
  answer is not enough, and a wrong answer takes back what a lucky one gave.
- **Forgetting**: at least ``FORGET_SHARE * (1 - threshold)`` per opportunity (fits do not estimate it), which caps
  P(known) below 1, so a short run of failures after mastery loses it.
- **Decay** with time (:func:`current_state`), the same on read and in the sweep.

Mastery is lost when P(known) falls below ``threshold - LOSS_MARGIN``: one slip right after mastery
does not flap the state; two to four failures lose it.

The legacy rule (a hard-correct counter judged against the skill's median difficulty) is gone;
:func:`median` stays, for placement.
"""

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from pathwise_assessment.domain.bkt import DEFAULT_PARAMS, BktParams, decay

__all__ = [
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_MODEL",
    "DEFAULT_THRESHOLD",
    "DIFFICULTY_SCALE",
    "EVIDENCE_CAP",
    "EVIDENCE_NEEDED",
    "FORGET_SHARE",
    "INFORMATIVE_GUESS_MAX",
    "ITEM_GUESS_SLIP_MAX",
    "ITEM_GUESS_SLIP_MIN",
    "LEVELS",
    "LOSS_MARGIN",
    "ItemEvidence",
    "Level",
    "MasteryState",
    "SkillModel",
    "apply_item_response",
    "apply_skipped",
    "current_state",
    "difficulty_shift",
    "is_informative",
    "item_guess_slip",
    "item_p_correct",
    "judge",
    "level_of",
    "median",
    "skill_model",
    "states_after",
    "unanswered_items",
]

DEFAULT_THRESHOLD = 0.95
LOSS_MARGIN = 0.2
Level = Literal["not_started", "attempted", "familiar", "proficient", "mastered"]
LEVELS: tuple[Level, ...] = ("not_started", "attempted", "familiar", "proficient", "mastered")

# How strongly difficulty moves guess and slip, per logit unit of a·b. With 0.5 an average item
# (b = 0) keeps the skill's guess/slip and an item two logits harder halves the guess odds by e:
# a mild effect, so a mis-estimated difficulty cannot make one answer decisive.
DIFFICULTY_SCALE = 0.5
# Most a·b can move guess and slip (in logits): difficulties beyond ±4 logits are typing errors
# more often than real items.
MAX_SHIFT = 2.0
# Item guess and slip stay below 0.5 (identifiability, as for a skill) and above 0.05: no single
# answer is ever near-certain evidence, so one slip or one lucky guess never decides alone.
ITEM_GUESS_SLIP_MAX = 0.45
ITEM_GUESS_SLIP_MIN = 0.05
# A right answer counts towards the evidence floor only if a learner who does not know the skill
# gets it right at most one time in four (an absolute bar, not relative to the skill's bank).
INFORMATIVE_GUESS_MAX = 0.25
# The evidence floor: the recent, informative evidence must favour "known" at least 500 to 1
# (five right answers in a row to average items, four to items one logit harder, three to items
# two logits harder). The
# CUSUM looks again after every answer, so its chance of a false alarm over 20 answers is many
# times one look's 1/500: simulated, a non-knower guessing 28 % of a mixed bank masters within 20
# items in about 2 % of runs (4-9 % with 99 or 199 to 1).
EVIDENCE_NEEDED = math.log(500.0)
# The CUSUM is capped so that a long run of right answers does not bank credit for ever: after
# mastery is lost (2-4 wrong answers) the learner must show fresh evidence to regain it.
EVIDENCE_CAP = 2.0 * EVIDENCE_NEEDED
# Per-opportunity forgetting (P(known) -> unknown) of at least FORGET_SHARE of the room above the
# threshold: it caps P(known) a little above the threshold (about 0.98 for 0.95), so two to four
# failures lose mastery however long the run of right answers was (without it, after ten more right
# answers it took eleven). Tied to the threshold so that a strict threshold stays reachable.
FORGET_SHARE = 0.3
# Without practice the part of P(known) above the prior halves every 180 days (a school term and a
# summer): a week off changes nothing, a stale mastery fades.
DEFAULT_HALF_LIFE_DAYS = 180.0


@dataclass(frozen=True)
class MasteryState:
    """A learner's state on one skill. ``evidence_weight`` is the evidence floor's CUSUM (nats)."""

    p_known: float
    mastered: bool = False
    evidence_count: int = 0
    evidence_weight: float = 0.0

    @property
    def level(self) -> Level:
        return level_of(self)


@dataclass(frozen=True)
class SkillModel:
    """A skill's parameters as the model uses them (see :func:`skill_model`)."""

    prior: float = DEFAULT_PARAMS.prior
    learn: float = DEFAULT_PARAMS.learn
    guess: float = DEFAULT_PARAMS.guess
    slip: float = DEFAULT_PARAMS.slip
    forget: float = FORGET_SHARE * (1.0 - DEFAULT_THRESHOLD)
    threshold: float = DEFAULT_THRESHOLD
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS

    def __post_init__(self) -> None:
        BktParams(self.prior, self.learn, self.guess, self.slip, self.forget)  # validates
        if not 0.5 < self.threshold < 1.0:
            raise ValueError("threshold must be in (0.5, 1)")


# A skill without stored parameters: one shared instance (frozen), not a new one per answer.
# The class dashboard's signals ask for it for every answer of every learner, and building and
# validating one each time was a tenth of that read's CPU.
DEFAULT_MODEL = SkillModel()


def skill_model(
    params: BktParams | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> SkillModel:
    """The model of a skill from its stored BKT parameters (None: the defaults) and threshold.
    Forgetting is at least ``FORGET_SHARE * (1 - threshold)``: fits do not estimate it and stored
    rows hold 0."""
    p = params or DEFAULT_PARAMS
    forget = max(p.forget, FORGET_SHARE * (1.0 - threshold))
    return SkillModel(p.prior, p.learn, p.guess, p.slip, forget, threshold, half_life_days)


@dataclass(frozen=True)
class ItemEvidence:
    """What the model needs of an item: its skills, its 2PL parameters (``b``, ``a``) and its
    guess floor (the chance a blind answer is right: 1/k for a k-option single-choice item, 0
    for an answer typed in; ``domain.scoring.guess_chance``)."""

    skill_codes: tuple[str, ...]
    difficulty: float = 0.0
    discrimination: float = 1.0
    item_id: str | None = None
    guess_floor: float = 0.0

    def __post_init__(self) -> None:
        if not self.skill_codes:
            raise ValueError("an item has at least one skill")
        if not (math.isfinite(self.difficulty) and math.isfinite(self.discrimination)):
            raise ValueError("difficulty and discrimination must be finite")
        if self.discrimination <= 0:
            raise ValueError("discrimination must be positive")
        if not 0.0 <= self.guess_floor < 1.0:
            raise ValueError("guess_floor must be in [0, 1)")


def level_of(state: MasteryState) -> Level:
    if state.mastered:
        return "mastered"
    if state.evidence_count == 0:
        return "not_started"
    if state.p_known >= 0.8:
        return "proficient"
    if state.p_known >= 0.5:
        return "familiar"
    return "attempted"


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, value))


def _model(params: Mapping[str, SkillModel], code: str) -> SkillModel:
    return params.get(code) or DEFAULT_MODEL


def _skills(item: ItemEvidence) -> list[str]:
    return list(dict.fromkeys(item.skill_codes))


def difficulty_shift(difficulty: float, discrimination: float) -> float:
    """How far (in logits) an item's difficulty moves the skill's guess down and slip up:
    ``k·a·b``, capped at ``±MAX_SHIFT``. One definition for the model and the EM fit
    (``domain.bkt_fit``), which must score each answer with the same item guess and slip."""
    return _clamp(DIFFICULTY_SCALE * discrimination * difficulty, -MAX_SHIFT, MAX_SHIFT)


def item_guess_slip(item: ItemEvidence, params: Mapping[str, SkillModel]) -> tuple[float, float]:
    """The item's own (guess, slip). A multi-skill item starts from the mean logit of its skills'
    guess and slip (one item, one chance to guess), then difficulty moves both; the guess is
    never below the item's ``guess_floor`` (a blind pick is right that often whatever the
    skills, so the floor holds for the item as a whole). Slip is not floored: picking among
    options does not make a learner who knows the skill err more or less. Both stay within
    [``ITEM_GUESS_SLIP_MIN``, ``ITEM_GUESS_SLIP_MAX``]: a two-option item (floor 0.5) is
    modelled as guessed 0.45 of the time, still weak evidence."""
    codes = _skills(item)
    models = [_model(params, c) for c in codes]
    base_guess = sum(_logit(m.guess) for m in models) / len(models)
    base_slip = sum(_logit(m.slip) for m in models) / len(models)
    shift = difficulty_shift(item.difficulty, item.discrimination)
    guess = _clamp(
        max(_expit(base_guess - shift), item.guess_floor), ITEM_GUESS_SLIP_MIN, ITEM_GUESS_SLIP_MAX
    )
    slip = _clamp(_expit(base_slip + shift), ITEM_GUESS_SLIP_MIN, ITEM_GUESS_SLIP_MAX)
    return guess, slip


def item_p_correct(
    p_known: Mapping[str, float], item: ItemEvidence, params: Mapping[str, SkillModel]
) -> float:
    """The model's P(correct) of an answer to ``item`` (conjunctive): ``1 - slip_i`` if every
    skill of the item is known, else ``guess_i``, each skill known with its ``p_known`` (taken
    as independent; a missing skill at its prior). The likelihood :func:`apply_item_response`
    updates on, and the expectation the early warnings compare wrong answers with."""
    guess, slip = item_guess_slip(item, params)
    known = math.prod(
        p_known[c] if c in p_known else _model(params, c).prior for c in _skills(item)
    )
    return known * (1.0 - slip) + (1.0 - known) * guess


def is_informative(item: ItemEvidence, params: Mapping[str, SkillModel]) -> bool:
    """A right answer to this item counts towards the evidence floor (it is hard to guess, its
    guess floor included: a choice item with fewer than four options never is, whatever its
    difficulty)."""
    return item_guess_slip(item, params)[0] <= INFORMATIVE_GUESS_MAX + 1e-12


def judge(state: MasteryState, model: SkillModel) -> MasteryState:
    """Re-derive *mastered* after P(known) or the evidence changed (a response, or decay)."""
    if state.mastered:
        mastered = state.p_known >= model.threshold - LOSS_MARGIN
    else:
        mastered = state.p_known >= model.threshold and state.evidence_weight >= EVIDENCE_NEEDED
    return replace(state, mastered=mastered)


def apply_item_response(
    states: Mapping[str, MasteryState],
    item: ItemEvidence,
    correct: bool,
    params: Mapping[str, SkillModel],
) -> dict[str, MasteryState]:
    """The new state of every skill of ``item`` after one scored response.

    ``states``: the learner's current states of the item's skills (decayed to now with
    :func:`current_state`; a missing skill starts at its prior). ``params``: the skills' models
    (a missing skill uses the defaults). Returns one state per distinct skill of the item.
    """
    codes = _skills(item)
    guess, slip = item_guess_slip(item, params)
    informative = guess <= INFORMATIVE_GUESS_MAX + 1e-12
    before = {c: states.get(c) or MasteryState(_model(params, c).prior) for c in codes}
    # P(this answer) with every skill at its current P(known): each skill's posterior is
    # P(known) * P(answer | known) over it.
    p_right = item_p_correct({c: s.p_known for c, s in before.items()}, item, params)
    observed = p_right if correct else 1.0 - p_right
    out: dict[str, MasteryState] = {}
    for code in codes:
        model = _model(params, code)
        state = before[code]
        # P(every other skill of the item is known), each at its current P(known): the chance
        # that this skill alone decides the outcome.
        others = math.prod(before[o].p_known for o in codes if o != code)
        if correct:
            if_known = others * (1.0 - slip) + (1.0 - others) * guess
            if_unknown = guess
        else:
            if_known = others * slip + (1.0 - others) * (1.0 - guess)
            if_unknown = 1.0 - guess
        p = state.p_known
        post = p * if_known / observed
        moved = post * (1.0 - model.forget) + (1.0 - post) * model.learn
        llr = math.log(if_known / if_unknown)
        weight = state.evidence_weight
        if not correct or informative:
            weight = _clamp(weight + llr, 0.0, EVIDENCE_CAP)
        out[code] = judge(
            replace(
                state,
                p_known=moved,
                evidence_count=state.evidence_count + 1,
                evidence_weight=weight,
            ),
            model,
        )
    return out


def unanswered_items(
    form: Sequence[ItemEvidence], answered_item_ids: Collection[str]
) -> list[ItemEvidence]:
    """The items of a finished fixed form the learner left unanswered, in form order."""
    return [i for i in form if i.item_id is None or i.item_id not in answered_item_ids]


def apply_skipped(
    states: Mapping[str, MasteryState],
    form: Sequence[ItemEvidence],
    answered_item_ids: Collection[str],
    params: Mapping[str, SkillModel],
) -> dict[str, MasteryState]:
    """At the finish of a fixed-form check, every item left unanswered counts as a wrong answer
    (skipping the hard items must not be a way to mastery). Returns the states of every skill a
    skipped item touches, after all of them, applied in form order."""
    current = dict(states)
    touched: set[str] = set()
    for item in unanswered_items(form, answered_item_ids):
        current.update(apply_item_response(current, item, False, params))
        touched.update(item.skill_codes)
    return {code: current[code] for code in current if code in touched}


def current_state(
    state: MasteryState, model: SkillModel, since: datetime, now: datetime
) -> MasteryState:
    """The state as of ``now`` from the stored one, valid at ``since`` (the time it was written:
    its last evidence, or the sweep that last decayed it). P(known) above the prior halves every
    ``model.half_life_days``; *mastered* is re-derived with the loss rule. Decay composes, so
    applying it on every read and in the sweep gives the same number."""
    if state.evidence_count == 0:
        return state
    days = (now - since).total_seconds() / 86400.0
    decayed = decay(state.p_known, model.prior, days, model.half_life_days)
    if decayed == state.p_known:
        return state
    return judge(replace(state, p_known=decayed), model)


def states_after(
    responses: Iterable[tuple[ItemEvidence, bool]],
    params: Mapping[str, SkillModel],
    states: Mapping[str, MasteryState] | None = None,
) -> dict[str, MasteryState]:
    """Replay responses in order (no time passing): for tests, benches and audits."""
    current = dict(states or {})
    for item, correct in responses:
        current.update(apply_item_response(current, item, correct, params))
    return current


def median(values: list[float]) -> float | None:
    """The median (None for no value): placement's "a typical item of the skill"."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
