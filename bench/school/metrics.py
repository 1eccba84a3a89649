"""Metrics of the simulated school, computed against the ground truth. Written independently of
the project's code (its own AUC, its own filter) so the instrument does not grade itself.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "EPISODE_MIN_ANSWERS",
    "FLAG_WITHIN_ANSWERS",
    "NEEDS_HELP_LEARN",
    "Episode",
    "FlagRaise",
    "PrecisionRecall",
    "auc",
    "empirical_params",
    "episode_recall",
    "first_raise_after",
    "needs_help",
    "oracle_filter",
    "precision_recall",
    "raise_precision",
    "stuck_episodes",
]


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve (rank-sum, ties share their average rank); nan without both
    classes."""
    if any(math.isnan(s) for s in scores):
        # NaN never equals itself: the tie grouping below would never advance past one.
        raise ValueError("auc() got a NaN score")
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: p[0])
    n_pos = sum(1 for _, y in pairs if y)
    n_neg = len(pairs) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        average = (i + 1 + j) / 2.0  # ranks i+1 .. j
        rank_sum += average * sum(1 for _, y in pairs[i:j] if y)
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float
    flagged: int
    positives: int


def precision_recall(flagged: Iterable[bool], truth: Iterable[bool]) -> PrecisionRecall:
    tp = fp = fn = 0
    for f, t in zip(flagged, truth, strict=True):
        tp += f and t
        fp += f and not t
        fn += t and not f
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return PrecisionRecall(precision, recall, tp + fp, tp + fn)


# A sequence per (learner, skill): (item guess, item slip, correct, truly known before), in time
# order (the item's true guess and slip are what the oracle may know).
Sequences = dict[tuple[int, str], list[tuple[float, float, bool, bool]]]


def empirical_params(sequences: Sequences) -> dict[str, tuple[float, float, float, float]]:
    """The truth as BKT sees it, counted from the true states: per skill, (prior = share known
    at the first answer, learn = share of unknown answers followed by a known one, guess = right
    rate while unknown, slip = wrong rate while known)."""
    counts: dict[str, list[float]] = defaultdict(lambda: [0.0] * 8)
    for (_, code), seq in sequences.items():
        c = counts[code]
        c[0] += seq[0][3]
        c[1] += 1
        for k, (_, _, correct, known) in enumerate(seq):
            if known:
                c[6] += not correct
                c[7] += 1
            else:
                c[4] += correct
                c[5] += 1
                if k + 1 < len(seq):
                    c[2] += seq[k + 1][3]
                    c[3] += 1
    out = {}
    for code, c in counts.items():
        out[code] = tuple(n / d if d else float("nan")
                          for n, d in ((c[0], c[1]), (c[2], c[3]), (c[4], c[5]), (c[6], c[7])))  # fmt: skip
    return out  # type: ignore[return-value]


def oracle_filter(
    seq: Sequence[tuple[float, float, bool, bool]], prior: float, learn: float
) -> list[float]:
    """P(known) before each answer from the answers before it, knowing the true answer model:
    each item's own guess and slip (from its difficulty) and the skill's true prior and learn
    rate. The best estimate any model can make from the same answers (up to the per-learner
    learn rates, which it takes at the skill's population value)."""
    # A skill no learner answered while not knowing it has no observed learn rate (NaN): no
    # transition was seen, so the oracle assumes none.
    learn = 0.0 if math.isnan(learn) else learn
    p = prior
    out = []
    for g, s, correct, _ in seq:
        out.append(p)
        if correct:
            known, unknown = p * (1 - s), (1 - p) * g
        else:
            known, unknown = p * s, (1 - p) * (1 - g)
        post = known / (known + unknown) if known + unknown > 0 else p
        p = post + (1 - post) * learn
    return out


# -- early warnings, judged per moment ----------------------------------------------------------
#
# A flag is about a moment: raised after a learner's n-th answer, about a skill (the one it names,
# or the one being practised). It is right when the learner truly needs help there then: the next
# answers are unlikely to teach the skill, and they have not learned it. "Unlikely" is a rate:
# the effective true learn rate (the learner's own, a tenth of it while a direct prerequisite is
# truly unknown) below one in ``1 / NEEDS_HELP_LEARN`` answers, i.e. the learner is not expected
# to learn the skill within the answers a school gives a step (the drivers skip a step after 30).
# That holds for every stalled learner (0.01), for nearly every learner blocked by a prerequisite
# (a tenth of 0.03 to 0.34), and for the few weakest learners at the simulator's floor (0.03).

NEEDS_HELP_LEARN = 1 / 30
EPISODE_MIN_ANSWERS = 10  # a stuck stretch shorter than this ends before anyone could tell
FLAG_WITHIN_ANSWERS = 40


def needs_help(effective_learn: float, known_in_window: Iterable[bool]) -> bool:
    """Whether a learner needs help on a skill at a moment: their effective learn rate on it is
    below ``NEEDS_HELP_LEARN`` and the skill was truly unknown at every point of the flag's window
    (each answer of it, and now)."""
    return effective_learn < NEEDS_HELP_LEARN and not any(known_in_window)


@dataclass(frozen=True)
class FlagRaise:
    """A flag instance raised (new, or on new evidence: a new key) after answer ``answer``
    (1-based) of a learner, about ``skill``; ``true``: :func:`needs_help` at that moment."""

    learner: int
    answer: int
    code: str
    skill: str
    true: bool


@dataclass(frozen=True)
class Episode:
    """A truly stuck stretch: consecutive answers of a learner on ``skill`` (the step practised),
    each with the skill unknown before it and an effective learn rate below ``NEEDS_HELP_LEARN``;
    ``start`` is the first answer's 1-based index."""

    learner: int
    skill: str
    start: int
    answers: int


def stuck_episodes(
    learner: int,
    moments: Sequence[tuple[str, float, bool]],
    min_answers: int = EPISODE_MIN_ANSWERS,
) -> list[Episode]:
    """``moments``: the learner's answers in order, (step skill, effective learn rate on it,
    truly known before the answer). Stretches of ``min_answers`` or more."""
    out: list[Episode] = []
    start = 0
    length = 0
    skill = ""
    for index, (code, rate, known) in enumerate(moments, start=1):
        stuck = rate < NEEDS_HELP_LEARN and not known
        if stuck and length and code == skill:
            length += 1
            continue
        if length >= min_answers:
            out.append(Episode(learner, skill, start, length))
        start, length, skill = (index, 1, code) if stuck else (0, 0, "")
    if length >= min_answers:
        out.append(Episode(learner, skill, start, length))
    return out


def raise_precision(raises: Iterable[FlagRaise], code: str | None = None) -> tuple[float, int, int]:
    """(share of raises right at their moment, raises, right ones), of ``code`` or of every
    code (recall is per episode: :func:`episode_recall`)."""
    chosen = [r for r in raises if code is None or r.code == code]
    true = sum(r.true for r in chosen)
    return (true / len(chosen) if chosen else float("nan")), len(chosen), true


def episode_recall(
    episodes: Sequence[Episode],
    raises: Iterable[FlagRaise],
    code: str | None = None,
    within: int = FLAG_WITHIN_ANSWERS,
) -> float:
    """Share of ``episodes`` with a raise (of ``code``, or any) about the episode's skill within
    its first ``within`` answers (a raise after answer ``start + within - 1`` is too late)."""
    by: dict[tuple[int, str], list[int]] = defaultdict(list)
    for r in raises:
        if code is None or r.code == code:
            by[(r.learner, r.skill)].append(r.answer)
    if not episodes:
        return float("nan")
    hit = sum(
        any(e.start <= a < e.start + within for a in by.get((e.learner, e.skill), ()))
        for e in episodes
    )
    return hit / len(episodes)


def first_raise_after(raises: Iterable[FlagRaise], learner: int, start: int) -> int | None:
    """Answers from ``start`` (counted 1 there) to the learner's first raise at or after it."""
    answers = [r.answer for r in raises if r.learner == learner and r.answer >= start]
    return min(answers) - start + 1 if answers else None
