"""Fitting BKT parameters per skill by expectation-maximization (Baum-Welch), vectorized in numpy.

All skills are fitted together: each (learner, skill) response sequence is a column of a
time-major matrix, parameters are gathered per column from its skill, the forward-backward pass
loops over time steps only, and the expected counts are summed per skill with ``np.bincount``.

Speed (see docs/assessment.md and bench/bench_assessment.py): columns are sorted longest first,
so at step ``t`` the sequences still running are a prefix ``[:active[t]]`` of the columns and each
step works on contiguous slices with no padding and no masks; a skill whose parameters stopped
moving leaves the working set, so the slow skills do not make every skill pay for more
iterations; several starting points each run a few *probe* iterations and only the best one per
skill (by log-likelihood) is carried on to convergence.

Guarding (:func:`guard_fit`, :func:`guard_fits`): EM maximizes the likelihood of whatever data it
is given, so on thin data it finds corners (a prior of 0.9999 from 11 responses). What is stored is
the fit checked for minimum evidence (responses and learners), clamped to sane bounds and shrunk
toward the district's (or the default) parameters by ``learners / (learners + SHRINK_LEARNERS)``;
each skill gets a decision (accepted, shrunk or rejected) with its reasons.

Constraints: guess and slip stay below 0.5 (above it "known" and "unknown" swap roles and the model
is not identifiable); every probability is kept inside [1e-4, 1 - 1e-4]. Forgetting is not fitted
(classic BKT, as pyBKT's default).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from pathwise_assessment.domain.bkt import MAX_GUESS_SLIP

__all__ = [
    "BOUNDS",
    "DEFAULT_STARTS",
    "MIN_LEARNERS",
    "SHRINK_LEARNERS",
    "FitDecision",
    "FitResult",
    "SequenceData",
    "build_sequences",
    "fit_em",
    "guard_fit",
    "guard_fits",
    "log_likelihood",
    "predict_correct",
    "roc_auc",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Params = tuple[FloatArray, FloatArray, FloatArray, FloatArray]
_EPS = 1e-4
_MAX_CELLS = 4_000_000  # time steps x sequences per chunk: bounds memory (~100 MB of float64)
PROBE_ITERATIONS = 8

# (prior, learn, guess, slip) starting points; EM keeps the best log-likelihood per skill.
DEFAULT_STARTS: tuple[tuple[float, float, float, float], ...] = (
    (0.3, 0.1, 0.2, 0.1),
    (0.6, 0.25, 0.1, 0.2),
    (0.1, 0.05, 0.3, 0.05),
)


@dataclass(frozen=True)
class _Chunk:
    obs: FloatArray  # (T, N) 0/1, zero after each sequence's end
    lengths: IntArray  # (N,) longest first
    active: IntArray  # (T,) columns [:active[t]] have a response at step t
    skill: IntArray  # (N,) skill index of each sequence
    index: IntArray | None  # (T, N) position of the response in the input, -1 for padding


@dataclass(frozen=True)
class SequenceData:
    chunks: tuple[_Chunk, ...]
    n_skills: int
    n_responses: int
    responses_per_skill: IntArray


@dataclass(frozen=True)
class FitResult:
    """Per-skill arrays (index = skill index) of the fitted parameters."""

    prior: FloatArray
    learn: FloatArray
    guess: FloatArray
    slip: FloatArray
    log_likelihood: FloatArray
    iterations: int
    converged: bool

    def params(self, skill: int) -> tuple[float, float, float, float]:
        return (
            float(self.prior[skill]),
            float(self.learn[skill]),
            float(self.guess[skill]),
            float(self.slip[skill]),
        )


def _chunk(obs: FloatArray, lengths: IntArray, skill: IntArray, index: IntArray | None) -> _Chunk:
    steps = np.arange(obs.shape[0])
    # lengths descend, so the count of sequences longer than t is a binary search on -lengths.
    active = np.searchsorted(-lengths, -steps, side="left").astype(np.int64)
    return _Chunk(obs, lengths, active, skill, index)


def build_sequences(
    skill: Sequence[int] | IntArray,
    learner: Sequence[int] | IntArray,
    correct: Sequence[int] | Sequence[bool] | npt.NDArray[np.generic],
    n_skills: int | None = None,
) -> SequenceData:
    """Group responses (in time order) into one sequence per (learner, skill)."""
    skill_a = np.asarray(skill, dtype=np.int64)
    learner_a = np.asarray(learner, dtype=np.int64)
    correct_a = np.asarray(correct, dtype=np.float64)
    if not (skill_a.shape == learner_a.shape == correct_a.shape) or skill_a.ndim != 1:
        raise ValueError("skill, learner and correct must be 1-d arrays of the same length")
    if skill_a.size and (skill_a.min() < 0 or not np.isin(correct_a, (0.0, 1.0)).all()):
        raise ValueError("skill indices must be ≥ 0 and correct values 0 or 1")
    k = int(n_skills if n_skills is not None else (skill_a.max() + 1 if skill_a.size else 0))
    if not skill_a.size:
        return SequenceData((), k, 0, np.zeros(k, dtype=np.int64))
    # Stable sort keeps time order inside each (learner, skill) sequence.
    full_key = skill_a * (learner_a.max() + 1) + learner_a
    order = np.argsort(full_key, kind="stable")
    key = full_key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lengths = np.diff(np.r_[starts, key.size])
    # Longest first: each chunk's padding is small and running sequences form a prefix.
    by_length = np.argsort(-lengths, kind="stable")
    chunks: list[_Chunk] = []
    i = 0
    while i < by_length.size:
        t_max = int(lengths[by_length[i]])
        n = max(1, min(by_length.size - i, _MAX_CELLS // t_max))
        seqs = by_length[i : i + n]
        steps = np.arange(t_max)[:, None]
        mask = steps < lengths[seqs][None, :]
        pos = np.where(mask, starts[seqs][None, :] + steps, 0)
        index = np.where(mask, order[pos], -1)
        obs = np.where(mask, correct_a[np.maximum(index, 0)], 0.0)
        chunks.append(
            _chunk(obs, lengths[seqs].astype(np.int64), skill_a[order[starts[seqs]]], index)
        )
        i += n
    return SequenceData(
        tuple(chunks), k, int(skill_a.size), np.bincount(skill_a, minlength=k).astype(np.int64)
    )


def _forward(
    chunk: _Chunk, params: Params, *, predict: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """Scaled forward pass. Returns filtered P(known) per step, the scale factors (P(this
    response | the ones before); 1 on padding), the emissions e0, e1 of each cell, and, when
    asked, the one-step-ahead P(correct)."""
    prior, learn, guess, slip = params
    sk = chunk.skill
    g, s, lr = guess[sk], slip[sk], learn[sk]
    obs = chunk.obs
    e1 = np.where(obs > 0, 1.0 - s, s)
    e0 = np.where(obs > 0, g, 1.0 - g)
    diff = e1 - e0
    keep = 1.0 - lr
    t_max, n_all = obs.shape
    a1 = np.zeros((t_max, n_all))
    scale = np.ones((t_max, n_all))
    pred = np.zeros((t_max, n_all)) if predict else None
    k1 = prior[sk].copy()
    for t in range(t_max):
        n = chunk.active[t]
        k = k1[:n]
        if pred is not None:
            pred[t, :n] = g[:n] + k * (1.0 - s[:n] - g[:n])
        c = e0[t, :n] + k * diff[t, :n]
        scale[t, :n] = c
        filtered = k * e1[t, :n] / c
        a1[t, :n] = filtered
        k1[:n] = filtered * keep[:n] + lr[:n]
    return a1, scale, e0, e1, pred


def _e_step(data: SequenceData, params: Params) -> tuple[FloatArray, FloatArray]:
    """Expected counts per skill (8 rows) and log-likelihood per skill, both at ``params``."""
    k = data.n_skills
    stats = np.zeros((8, k))
    loglik = np.zeros(k)
    learn = params[1]
    for chunk in data.chunks:
        a1, scale, e0, e1, _ = _forward(chunk, params)
        lr = learn[chunk.skill]
        keep = 1.0 - lr
        t_max, n_all = a1.shape
        b0 = np.ones(n_all)
        b1 = np.ones(n_all)
        gamma1 = np.zeros((t_max, n_all))
        xi01 = np.zeros((t_max, n_all))
        for t in range(t_max - 1, -1, -1):
            # Sequences that go on to step t + 1 take the backward recursion; for the others t
            # is the last step and their beta stays 1.
            m = chunk.active[t + 1] if t + 1 < t_max else 0
            if m:
                inv = 1.0 / scale[t + 1, :m]
                w1 = e1[t + 1, :m] * b1[:m] * inv
                lw1 = lr[:m] * w1
                xi01[t, :m] = (1.0 - a1[t, :m]) * lw1
                b0[:m] = keep[:m] * e0[t + 1, :m] * b0[:m] * inv + lw1
                b1[:m] = w1
            n = chunk.active[t]
            # Scaled alpha times scaled beta is already the posterior: it sums to 1 over states.
            gamma1[t, :n] = a1[t, :n] * b1[:n]
        g1_all = gamma1.sum(axis=0)
        g1_right = (gamma1 * chunk.obs).sum(axis=0)
        g0_all = chunk.lengths - g1_all
        last1 = gamma1[chunk.lengths - 1, np.arange(n_all)]
        per_seq = (
            gamma1[0],  # P(known) at the first response
            np.ones(n_all),  # sequences
            xi01.sum(axis=0),  # unknown -> known transitions
            g0_all - (1.0 - last1),  # time unknown with a next step
            chunk.obs.sum(axis=0) - g1_right,  # right while unknown
            g0_all,  # time unknown
            g1_all - g1_right,  # wrong while known
            g1_all,  # time known
        )
        for row, values in enumerate(per_seq):
            stats[row] += np.bincount(chunk.skill, weights=values, minlength=k)
        loglik += np.bincount(chunk.skill, weights=np.log(scale).sum(axis=0), minlength=k)
    return stats, loglik


def _m_step(stats: FloatArray, current: Params) -> Params:
    first1, n_seq, xi01, from0, g0_obs, g0_all, g1_wrong, g1_all = stats
    prior, learn, guess, slip = current

    def ratio(num: FloatArray, den: FloatArray, old: FloatArray, hi: float) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 1e-12, num / den, old)
        return np.clip(value, _EPS, hi)

    return (
        ratio(first1, n_seq, prior, 1.0 - _EPS),
        ratio(xi01, from0, learn, 1.0 - _EPS),
        ratio(g0_obs, g0_all, guess, MAX_GUESS_SLIP),
        ratio(g1_wrong, g1_all, slip, MAX_GUESS_SLIP),
    )


def log_likelihood(
    data: SequenceData,
    prior: FloatArray,
    learn: FloatArray,
    guess: FloatArray,
    slip: FloatArray,
) -> FloatArray:
    """Log-likelihood per skill of the data under the given parameters."""
    loglik = np.zeros(data.n_skills)
    for chunk in data.chunks:
        _, scale, _, _, _ = _forward(chunk, (prior, learn, guess, slip))
        loglik += np.bincount(
            chunk.skill, weights=np.log(scale).sum(axis=0), minlength=data.n_skills
        )
    return loglik


def _without(data: SequenceData, done: npt.NDArray[np.bool_]) -> SequenceData:
    """The sequences of the skills not yet ``done`` (longest-first order is kept)."""
    chunks: list[_Chunk] = []
    for chunk in data.chunks:
        cols = np.flatnonzero(~done[chunk.skill])
        if cols.size == chunk.skill.size:
            chunks.append(chunk)
        elif cols.size:
            lengths = chunk.lengths[cols]
            t_max = int(lengths[0])
            chunks.append(_chunk(chunk.obs[:t_max, cols], lengths, chunk.skill[cols], None))
    return SequenceData(tuple(chunks), data.n_skills, data.n_responses, data.responses_per_skill)


def _run_em(
    data: SequenceData, start: Params, max_iter: int, tol: float
) -> tuple[Params, int, bool]:
    """EM from ``start``; a skill whose parameters move less than ``tol`` is done and leaves the
    working set (its parameters stay as they are: no data, no change in the M-step)."""
    current = start
    done = np.zeros(data.n_skills, dtype=bool)
    working = data
    iteration = 0
    for iteration in range(1, max_iter + 1):
        stats, _ = _e_step(working, current)
        new = _m_step(stats, current)
        change = np.max(np.abs(np.stack(new) - np.stack(current)), axis=0)
        current = new
        finished = change < tol
        if finished.all():
            return current, iteration, True
        if (finished & ~done).any():
            done |= finished
            working = _without(data, done)
    return current, iteration, False


def fit_em(
    data: SequenceData,
    *,
    starts: Sequence[tuple[float, float, float, float]] = DEFAULT_STARTS,
    max_iter: int = 200,
    tol: float = 1e-5,
    probe_iterations: int = PROBE_ITERATIONS,
) -> FitResult:
    """Fit (prior, learn, guess, slip) per skill; skills without data keep the first start.

    With several starting points, each runs ``probe_iterations`` EM steps, the best one per skill
    by log-likelihood is kept, and only that one runs on to convergence.
    """
    if not starts:
        raise ValueError("give at least one starting point")
    k = data.n_skills

    def filled(start: tuple[float, float, float, float]) -> Params:
        prior, learn, guess, slip = (np.full(k, v, dtype=np.float64) for v in start)
        return prior, learn, guess, slip

    best = filled(starts[0])
    probed = 0
    if len(starts) > 1:
        probed = probe_iterations
        best_ll = np.full(k, -np.inf)
        for start in starts:
            params, _, _ = _run_em(data, filled(start), probe_iterations, tol)
            loglik = log_likelihood(data, *params)
            better = loglik > best_ll + 1e-9
            best_ll = np.where(better, loglik, best_ll)
            best = (
                np.where(better, params[0], best[0]),
                np.where(better, params[1], best[1]),
                np.where(better, params[2], best[2]),
                np.where(better, params[3], best[3]),
            )
    fitted, iterations, converged = _run_em(data, best, max_iter, tol)
    return FitResult(
        *fitted,
        log_likelihood=log_likelihood(data, *fitted),
        iterations=probed + iterations,
        converged=converged,
    )


def predict_correct(
    data: SequenceData,
    prior: FloatArray,
    learn: FloatArray,
    guess: FloatArray,
    slip: FloatArray,
) -> FloatArray:
    """One-step-ahead P(correct) of every response given the ones before it (input order)."""
    out = np.zeros(data.n_responses)
    for chunk in data.chunks:
        *_, pred = _forward(chunk, (prior, learn, guess, slip), predict=True)
        assert pred is not None and chunk.index is not None
        valid = chunk.index >= 0
        out[chunk.index[valid]] = pred[valid]
    return out


def roc_auc(labels: npt.NDArray[np.generic], scores: FloatArray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties get average ranks)."""
    y = np.asarray(labels, dtype=bool)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(y.size)
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], y.size]
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


# --- Guarding a fit: minimum evidence, bounds, shrinkage, and the decision per skill. ---

ParamTuple = tuple[float, float, float, float]
_NAMES = ("prior", "learn", "guess", "slip")
# Sane ranges of what may be stored. Guess and slip ≤ 0.4 (not just < 0.5): near 0.5 a right
# answer says almost nothing and mastery becomes unreachable or meaningless. A prior above 0.9
# says almost every learner knew the skill before any practice: more likely a fit on a handful of
# strong learners than a fact, and it lets one answer master the skill. Learn ≤ 0.5: more than
# every other opportunity turning into knowledge is a sign of a mis-tagged or trivial bank.
BOUNDS: dict[str, tuple[float, float]] = {
    "prior": (0.01, 0.9),
    "learn": (0.005, 0.5),
    "guess": (0.01, 0.4),
    "slip": (0.01, 0.4),
}
# Below this many learners a skill's fit is not stored at all: the prior is estimated from one
# first answer per learner, so two learners give two data points.
MIN_LEARNERS = 3
# Shrinkage: the stored value is w·fit + (1 - w)·base with w = learners / (learners + 20): 20
# learners (a class) weigh as much as the base, 180 learners give the fit 90 %.
SHRINK_LEARNERS = 20
# A fit that moved less than this from the raw EM estimate (in every parameter) is "accepted".
ACCEPT_TOLERANCE = 0.01

FitStatus = Literal["accepted", "shrunk", "rejected"]


@dataclass(frozen=True)
class FitDecision:
    """What happens to one skill's fit: ``params`` is what to store (None when rejected)."""

    status: FitStatus
    reasons: tuple[dict[str, str], ...]
    fitted: ParamTuple
    params: ParamTuple | None
    weight: float
    responses: int
    learners: int
    base: ParamTuple
    base_source: str = "default"

    def report(self) -> dict[str, object]:
        """The decision as stored in the fit run and returned by the fits API."""

        def named(values: ParamTuple | None) -> dict[str, float] | None:
            if values is None:
                return None
            return {n: round(v, 6) for n, v in zip(_NAMES, values, strict=True)}

        return {
            "status": self.status,
            "reasons": [dict(r) for r in self.reasons],
            "response_count": self.responses,
            "learner_count": self.learners,
            "weight": round(self.weight, 4),
            "fitted": named(self.fitted),
            "params": named(self.params),
            "base": named(self.base),
            "base_source": self.base_source,
        }


def _reason(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def guard_fit(
    fitted: ParamTuple,
    *,
    responses: int,
    learners: int,
    base: ParamTuple,
    min_responses: int,
    base_source: str = "default",
    min_learners: int = MIN_LEARNERS,
    shrink_learners: float = SHRINK_LEARNERS,
) -> FitDecision:
    """Decide what to store of one skill's EM fit (prior, learn, guess, slip).

    Rejected below ``min_responses`` responses or ``min_learners`` learners (the skill keeps what
    it has). Otherwise every parameter is clamped into :data:`BOUNDS` and shrunk toward ``base``
    with weight ``learners / (learners + shrink_learners)``; *accepted* when that moved no
    parameter by more than ``ACCEPT_TOLERANCE``, else *shrunk*, with the reasons.
    """
    reasons: list[dict[str, str]] = []
    if responses < min_responses:
        reasons.append(
            _reason("too_few_responses", f"{responses} responses, at least {min_responses} needed")
        )
    if learners < min_learners:
        reasons.append(
            _reason("too_few_learners", f"{learners} learners, at least {min_learners} needed")
        )
    if reasons:
        return FitDecision(
            "rejected", tuple(reasons), fitted, None, 0.0, responses, learners, base, base_source
        )
    weight = learners / (learners + shrink_learners)
    final: list[float] = []
    for name, value, anchor in zip(_NAMES, fitted, base, strict=True):
        lo, hi = BOUNDS[name]
        clamped = min(hi, max(lo, value))
        if clamped != value:
            reasons.append(
                _reason(
                    f"{name}_out_of_bounds",
                    f"fitted {name} {value:.4f} outside [{lo}, {hi}]: clamped to {clamped}",
                )
            )
        anchor = min(hi, max(lo, anchor))
        final.append(weight * clamped + (1.0 - weight) * anchor)
    params: ParamTuple = (final[0], final[1], final[2], final[3])
    moved = max(abs(a - b) for a, b in zip(params, fitted, strict=True))
    if moved > ACCEPT_TOLERANCE and weight < 1.0:
        reasons.append(
            _reason(
                "thin_data",
                f"{learners} learners: weight {weight:.2f} on the fit, "
                f"{1 - weight:.2f} on the {base_source} parameters",
            )
        )
    status: FitStatus = "accepted" if moved <= ACCEPT_TOLERANCE else "shrunk"
    return FitDecision(
        status, tuple(reasons), fitted, params, weight, responses, learners, base, base_source
    )


def guard_fits(
    fitted: Mapping[str, ParamTuple],
    responses: Mapping[str, int],
    learners: Mapping[str, int],
    *,
    min_responses: int,
    default: ParamTuple,
    min_learners: int = MIN_LEARNERS,
    shrink_learners: float = SHRINK_LEARNERS,
) -> tuple[dict[str, FitDecision], ParamTuple, int]:
    """Guard every skill of a district's fit. The base a thin skill is shrunk toward is the
    *district's* parameters: the learner-weighted mean of the clamped fits of the skills with
    enough evidence, itself shrunk toward ``default`` by the same rule (a district with little
    data overall leans on the defaults). Returns the decisions, the district base and the
    learners behind it."""
    enough = [
        c
        for c in fitted
        if responses.get(c, 0) >= min_responses and learners.get(c, 0) >= min_learners
    ]
    total = sum(learners[c] for c in enough)
    district = default
    if total:
        means: list[float] = []
        for k, name in enumerate(_NAMES):
            lo, hi = BOUNDS[name]
            mean = sum(learners[c] * min(hi, max(lo, fitted[c][k])) for c in enough) / total
            w = total / (total + shrink_learners)
            means.append(w * mean + (1.0 - w) * default[k])
        district = (means[0], means[1], means[2], means[3])
    source = "district" if total else "default"
    decisions = {
        code: guard_fit(
            values,
            responses=responses.get(code, 0),
            learners=learners.get(code, 0),
            base=district,
            base_source=source,
            min_responses=min_responses,
            min_learners=min_learners,
            shrink_learners=shrink_learners,
        )
        for code, values in fitted.items()
    }
    return decisions, district, total
