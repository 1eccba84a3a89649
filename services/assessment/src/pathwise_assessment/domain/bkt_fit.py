"""Fitting BKT parameters per skill by expectation-maximization (Baum-Welch), vectorized in numpy.

All skills are fitted together: each (learner, skill) response sequence is a column of a
time-major matrix, parameters are gathered per column from its skill, the forward-backward pass
loops over time steps only, and the expected counts are summed per skill with ``np.bincount``.
Sequences are bucketed by length so padding stays small and memory bounded.

Constraints: guess and slip stay below 0.5 (above it "known" and "unknown" swap roles and the model
is not identifiable); every probability is kept inside [1e-4, 1 - 1e-4]. Forgetting is not fitted
(classic BKT, as pyBKT's default). Several deterministic starting points are tried and the best
log-likelihood kept per skill.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pathwise_assessment.domain.bkt import MAX_GUESS_SLIP

__all__ = [
    "DEFAULT_STARTS",
    "FitResult",
    "SequenceData",
    "build_sequences",
    "fit_em",
    "log_likelihood",
    "predict_correct",
    "roc_auc",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_EPS = 1e-4
_MAX_CELLS = 4_000_000  # time steps x sequences per chunk: bounds memory (~100 MB of float64)

# (prior, learn, guess, slip) starting points; EM keeps the best log-likelihood per skill.
DEFAULT_STARTS: tuple[tuple[float, float, float, float], ...] = (
    (0.3, 0.1, 0.2, 0.1),
    (0.6, 0.25, 0.1, 0.2),
    (0.1, 0.05, 0.3, 0.05),
)


@dataclass(frozen=True)
class _Chunk:
    obs: FloatArray  # (T, N) 0/1, padded with 0
    mask: npt.NDArray[np.bool_]  # (T, N) True where a response exists
    skill: IntArray  # (N,) skill index of each sequence
    index: IntArray  # (T, N) position of the response in the input, -1 for padding


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
    # Longest first, so each chunk's padding is small.
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
        chunks.append(_Chunk(obs, mask, skill_a[order[starts[seqs]]], index))
        i += n
    return SequenceData(
        tuple(chunks), k, int(skill_a.size), np.bincount(skill_a, minlength=k).astype(np.int64)
    )


def _forward(
    chunk: _Chunk, prior: FloatArray, learn: FloatArray, guess: FloatArray, slip: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Scaled forward pass. Returns filtered P(unknown), P(known), scale factors, emissions
    (e0, e1) and the one-step-ahead P(correct) at each step."""
    sk = chunk.skill
    pi, lr, g, s = prior[sk], learn[sk], guess[sk], slip[sk]
    obs, mask = chunk.obs, chunk.mask
    e0 = np.where(obs > 0, g, 1.0 - g)
    e1 = np.where(obs > 0, 1.0 - s, s)
    t_max, n = obs.shape
    a0 = np.empty((t_max, n))
    a1 = np.empty((t_max, n))
    scale = np.ones((t_max, n))
    pred = np.zeros((t_max, n))
    k1 = pi.copy()
    for t in range(t_max):
        k0 = 1.0 - k1
        pred[t] = k1 * (1.0 - s) + k0 * g
        f0 = k0 * e0[t]
        f1 = k1 * e1[t]
        c = f0 + f1
        m = mask[t]
        scale[t] = np.where(m, c, 1.0)
        a1[t] = np.where(m, f1 / c, k1)
        a0[t] = 1.0 - a1[t]
        k1 = a1[t] + a0[t] * lr
    return a0, a1, scale, e0, e1, pred


def _e_step(
    data: SequenceData, prior: FloatArray, learn: FloatArray, guess: FloatArray, slip: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Expected counts per skill (8 rows) and log-likelihood per skill."""
    k = data.n_skills
    stats = np.zeros((8, k))
    loglik = np.zeros(k)
    for chunk in data.chunks:
        a0, a1, scale, e0, e1, _ = _forward(chunk, prior, learn, guess, slip)
        lr = learn[chunk.skill]
        mask, obs = chunk.mask, chunk.obs
        t_max, n = obs.shape
        b0 = np.ones(n)
        b1 = np.ones(n)
        xi01 = np.zeros(n)
        from0 = np.zeros(n)
        g0_obs = np.zeros(n)
        g0_all = np.zeros(n)
        g1_wrong = np.zeros(n)
        g1_all = np.zeros(n)
        for t in range(t_max - 1, -1, -1):
            m = mask[t]
            if t < t_max - 1:
                nxt = mask[t + 1]
                w1 = e1[t + 1] * b1 / scale[t + 1]
                w0 = e0[t + 1] * b0 / scale[t + 1]
                xi01 += np.where(nxt, a0[t] * lr * w1, 0.0)
                from0 += np.where(nxt, a0[t] * (1.0 - lr) * w0 + a0[t] * lr * w1, 0.0)
                nb0 = np.where(nxt, (1.0 - lr) * w0 + lr * w1, 1.0)
                nb1 = np.where(nxt, w1, 1.0)
                b0, b1 = nb0, nb1
            gamma1 = a1[t] * b1
            gamma0 = a0[t] * b0
            norm = gamma0 + gamma1
            gamma1 = np.where(m, gamma1 / norm, 0.0)
            gamma0 = np.where(m, gamma0 / norm, 0.0)
            g0_obs += gamma0 * obs[t]
            g0_all += gamma0
            g1_wrong += gamma1 * (1.0 - obs[t]) * m
            g1_all += gamma1
        first1 = a1[0] * b1 / (a0[0] * b0 + a1[0] * b1)
        per_seq = (first1, np.ones(n), xi01, from0, g0_obs, g0_all, g1_wrong, g1_all)
        for row, values in enumerate(per_seq):
            stats[row] += np.bincount(chunk.skill, weights=values, minlength=k)
        loglik += np.bincount(chunk.skill, weights=np.log(scale).sum(axis=0), minlength=k)
    return stats, loglik


def _m_step(
    stats: FloatArray, current: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
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
        _, _, scale, _, _, _ = _forward(chunk, prior, learn, guess, slip)
        loglik += np.bincount(
            chunk.skill, weights=np.log(scale).sum(axis=0), minlength=data.n_skills
        )
    return loglik


def _run_em(
    data: SequenceData, start: tuple[float, float, float, float], max_iter: int, tol: float
) -> tuple[FitResult, FloatArray]:
    k = data.n_skills
    params = tuple(np.full(k, v, dtype=np.float64) for v in start)
    current: tuple[FloatArray, FloatArray, FloatArray, FloatArray] = (
        params[0], params[1], params[2], params[3]
    )  # fmt: skip
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):  # noqa: B007 - reported as iterations
        stats, _ = _e_step(data, *current)
        new = _m_step(stats, current)
        change = max(
            float(np.max(np.abs(a - b))) if k else 0.0 for a, b in zip(new, current, strict=True)
        )
        current = new
        if change < tol:
            converged = True
            break
    loglik = log_likelihood(data, *current)
    return FitResult(
        *current, log_likelihood=loglik, iterations=iteration, converged=converged
    ), loglik


def fit_em(
    data: SequenceData,
    *,
    starts: Sequence[tuple[float, float, float, float]] = DEFAULT_STARTS,
    max_iter: int = 200,
    tol: float = 1e-5,
) -> FitResult:
    """Fit (prior, learn, guess, slip) per skill; skills without data keep the first start."""
    if not starts:
        raise ValueError("give at least one starting point")
    best: FitResult | None = None
    for start in starts:
        result, loglik = _run_em(data, start, max_iter, tol)
        if best is None:
            best = result
            continue
        better = loglik > best.log_likelihood + 1e-9
        best = FitResult(
            prior=np.where(better, result.prior, best.prior),
            learn=np.where(better, result.learn, best.learn),
            guess=np.where(better, result.guess, best.guess),
            slip=np.where(better, result.slip, best.slip),
            log_likelihood=np.where(better, loglik, best.log_likelihood),
            iterations=max(best.iterations, result.iterations),
            converged=best.converged and result.converged,
        )
    assert best is not None
    return best


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
        *_, pred = _forward(chunk, prior, learn, guess, slip)
        out[chunk.index[chunk.mask]] = pred[chunk.mask]
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
