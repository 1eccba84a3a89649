"""Metrics of the simulated school, computed against the ground truth. Written independently of
the project's code (its own AUC, its own filter) so the instrument does not grade itself.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "PrecisionRecall",
    "auc",
    "empirical_params",
    "oracle_filter",
    "precision_recall",
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
