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

Item-aware fitting (issue 14; ``build_sequences`` with ``difficulty``/``discrimination``/``floor``):
the mastery model scores each answer with the item's own guess and slip (``domain.mastery``: the
skill's moved by the item's difficulty, the guess floored by the item's guess floor, both kept in
[0.05, 0.45]). Classic BKT fits one guess and slip for all of a skill's items, so its guess
averages choice items (floor 0.25) with typed-answer ones, and the model then shifts and floors
that average again. With item data the E-step uses the model's own per-item emissions
(:func:`item_emissions`), and the M-step keeps the closed forms for prior and learn and maximizes
the expected complete-data log-likelihood over the skill's *base* guess and slip, each a 1-d
bounded search (a grid in logits, then golden sections): an item whose floor is above its curve
contributes a constant, so the base guess is estimated from the answers the floor does not decide.
Without item data (or with every item average and unfloored but for the model's clamp) the
classic closed-form M-step runs, as before.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from pathwise_assessment.domain.bkt import MAX_GUESS_SLIP
from pathwise_assessment.domain.mastery import (
    ITEM_GUESS_SLIP_MAX,
    ITEM_GUESS_SLIP_MIN,
    difficulty_shift,
)

__all__ = [
    "BOUNDS",
    "DEFAULT_STARTS",
    "MIN_LEARNERS",
    "SHRINK_LEARNERS",
    "FitDecision",
    "FitResult",
    "ItemGroups",
    "SequenceData",
    "build_sequences",
    "fit_em",
    "guard_fit",
    "guard_fits",
    "item_emissions",
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
    group: IntArray | None = None  # (T, N) item group of each response (0 on padding)


@dataclass(frozen=True)
class ItemGroups:
    """The distinct (skill, difficulty shift, guess floor) of the responses: the answers that
    share an item guess and slip under the model (one group per item of a skill, or fewer)."""

    skill: IntArray  # (G,) the skill whose base guess and slip the group moves
    shift: FloatArray  # (G,) the model's difficulty shift k·a·b, logits (domain.mastery)
    floor: FloatArray  # (G,) the guess floor


@dataclass(frozen=True)
class SequenceData:
    chunks: tuple[_Chunk, ...]
    n_skills: int
    n_responses: int
    responses_per_skill: IntArray
    groups: ItemGroups | None = None  # None: classic BKT, one guess and slip per skill


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


def _chunk(
    obs: FloatArray,
    lengths: IntArray,
    skill: IntArray,
    index: IntArray | None,
    group: IntArray | None = None,
) -> _Chunk:
    steps = np.arange(obs.shape[0])
    # lengths descend, so the count of sequences longer than t is a binary search on -lengths.
    active = np.searchsorted(-lengths, -steps, side="left").astype(np.int64)
    return _Chunk(obs, lengths, active, skill, index, group)


def _item_groups(
    skill: IntArray,
    difficulty: npt.ArrayLike | None,
    discrimination: npt.ArrayLike | None,
    floor: npt.ArrayLike | None,
) -> tuple[ItemGroups, IntArray] | None:
    """The item groups and each response's group, or None without item data."""
    if difficulty is None and discrimination is None and floor is None:
        return None
    n = skill.size

    def column(values: npt.ArrayLike | None, default: float) -> FloatArray:
        out = np.full(n, default) if values is None else np.asarray(values, dtype=np.float64)
        if out.shape != (n,) or not np.isfinite(out).all():
            raise ValueError("item data must be finite, one value per response")
        return out

    b, a, f = column(difficulty, 0.0), column(discrimination, 1.0), column(floor, 0.0)
    if (a <= 0).any() or (f < 0).any() or (f >= 1).any():
        raise ValueError("discrimination must be positive and guess floors in [0, 1)")
    shift = np.array([difficulty_shift(float(x), float(y)) for x, y in zip(b, a, strict=True)])
    keys, group = np.unique(
        np.stack([skill.astype(np.float64), shift, f], axis=1), axis=0, return_inverse=True
    )
    groups = ItemGroups(keys[:, 0].astype(np.int64), keys[:, 1].copy(), keys[:, 2].copy())
    return groups, group.reshape(-1).astype(np.int64)


def build_sequences(
    skill: Sequence[int] | IntArray,
    learner: Sequence[int] | IntArray,
    correct: Sequence[int] | Sequence[bool] | npt.NDArray[np.generic],
    n_skills: int | None = None,
    *,
    difficulty: npt.ArrayLike | None = None,
    discrimination: npt.ArrayLike | None = None,
    floor: npt.ArrayLike | None = None,
) -> SequenceData:
    """Group responses (in time order) into one sequence per (learner, skill).

    With any of ``difficulty``, ``discrimination`` (IRT ``b`` and ``a``, defaults 0 and 1) or
    ``floor`` (the guess floor, default 0), one value per response, the data are item-aware:
    :func:`fit_em` and the likelihoods score each answer with the item's own guess and slip, as
    the mastery model does (:func:`item_emissions`)."""
    skill_a = np.asarray(skill, dtype=np.int64)
    learner_a = np.asarray(learner, dtype=np.int64)
    correct_a = np.asarray(correct, dtype=np.float64)
    if not (skill_a.shape == learner_a.shape == correct_a.shape) or skill_a.ndim != 1:
        raise ValueError("skill, learner and correct must be 1-d arrays of the same length")
    if skill_a.size and (skill_a.min() < 0 or not np.isin(correct_a, (0.0, 1.0)).all()):
        raise ValueError("skill indices must be ≥ 0 and correct values 0 or 1")
    k = int(n_skills if n_skills is not None else (skill_a.max() + 1 if skill_a.size else 0))
    items = _item_groups(skill_a, difficulty, discrimination, floor)
    groups = items[0] if items is not None else None
    if not skill_a.size:
        return SequenceData((), k, 0, np.zeros(k, dtype=np.int64), groups)
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
        group = None if items is None else np.where(mask, items[1][np.maximum(index, 0)], 0)
        chunks.append(
            _chunk(obs, lengths[seqs].astype(np.int64), skill_a[order[starts[seqs]]], index, group)
        )
        i += n
    return SequenceData(
        tuple(chunks),
        k,
        int(skill_a.size),
        np.bincount(skill_a, minlength=k).astype(np.int64),
        groups,
    )


def _logit(p: FloatArray) -> FloatArray:
    out: FloatArray = np.log(p) - np.log1p(-p)
    return out


def _expit(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def _item_guess(base: FloatArray, groups: ItemGroups) -> FloatArray:
    """Each group's guess from its skill's base guess (``domain.mastery.item_guess_slip``)."""
    moved = _expit(_logit(base[..., groups.skill]) - groups.shift)
    out: FloatArray = np.clip(
        np.maximum(moved, groups.floor), ITEM_GUESS_SLIP_MIN, ITEM_GUESS_SLIP_MAX
    )
    return out


def _item_slip(base: FloatArray, groups: ItemGroups) -> FloatArray:
    """Each group's slip from its skill's base slip (not floored)."""
    moved = _expit(_logit(base[..., groups.skill]) + groups.shift)
    out: FloatArray = np.clip(moved, ITEM_GUESS_SLIP_MIN, ITEM_GUESS_SLIP_MAX)
    return out


def item_emissions(
    guess: FloatArray, slip: FloatArray, groups: ItemGroups
) -> tuple[FloatArray, FloatArray]:
    """(guess, slip) of every item group from the skills' base guess and slip: the skill's moved
    by the item's difficulty shift, the guess never below the item's floor, both within
    [``ITEM_GUESS_SLIP_MIN``, ``ITEM_GUESS_SLIP_MAX``], as the mastery model scores an answer to
    a single-skill item. (A multi-skill item is fitted in each of its skills' sequences with that
    skill's base, as classic BKT counts it for each skill: the model's conjunctive joint guess is
    not fitted.)"""
    return _item_guess(guess, groups), _item_slip(slip, groups)


def _emissions(
    chunk: _Chunk, data_groups: ItemGroups | None, params: Params
) -> tuple[FloatArray, FloatArray]:
    """Guess and slip of every cell (T, N), or of every column (N,) for classic data."""
    _, _, guess, slip = params
    if data_groups is None or chunk.group is None:
        return guess[chunk.skill], slip[chunk.skill]
    g_items, s_items = item_emissions(guess, slip, data_groups)
    return g_items[chunk.group], s_items[chunk.group]


def _forward(
    chunk: _Chunk,
    params: Params,
    *,
    predict: bool = False,
    groups: ItemGroups | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """Scaled forward pass. Returns filtered P(known) per step, the scale factors (P(this
    response | the ones before); 1 on padding), the emissions e0, e1 of each cell, and, when
    asked, the one-step-ahead P(correct). With ``groups`` each cell has its item's guess and
    slip."""
    prior, learn, _, _ = params
    sk = chunk.skill
    g, s = _emissions(chunk, groups, params)
    lr = learn[sk]
    per_cell = g.ndim == 2
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
            gt, st = (g[t, :n], s[t, :n]) if per_cell else (g[:n], s[:n])
            pred[t, :n] = gt + k * (1.0 - st - gt)
        c = e0[t, :n] + k * diff[t, :n]
        scale[t, :n] = c
        filtered = k * e1[t, :n] / c
        a1[t, :n] = filtered
        k1[:n] = filtered * keep[:n] + lr[:n]
    return a1, scale, e0, e1, pred


def _e_step(data: SequenceData, params: Params) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Expected counts per skill (8 rows), log-likelihood per skill, and for item-aware data the
    expected counts per item group (4 rows: right and wrong while unknown, wrong and right while
    known), all at ``params``."""
    k = data.n_skills
    stats = np.zeros((8, k))
    loglik = np.zeros(k)
    groups = data.groups
    n_groups = 0 if groups is None else groups.skill.size
    group_stats = None if groups is None else np.zeros((4, n_groups))
    learn = params[1]
    for chunk in data.chunks:
        a1, scale, e0, e1, _ = _forward(chunk, params, groups=groups)
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
        if group_stats is not None and chunk.group is not None:
            real = (np.arange(t_max)[:, None] < chunk.lengths[None, :]).astype(np.float64)
            gamma0 = real - gamma1
            cells = chunk.group.ravel()
            for row, values in enumerate(
                (
                    gamma0 * chunk.obs,  # right while unknown
                    gamma0 * (real - chunk.obs),  # wrong while unknown
                    gamma1 * (real - chunk.obs),  # wrong while known
                    gamma1 * chunk.obs,  # right while known
                )
            ):
                group_stats[row] += np.bincount(cells, weights=values.ravel(), minlength=n_groups)
    return stats, loglik, group_stats


# The base guess/slip search of the item-aware M-step: a grid of GRID_POINTS in logits over
# [_EPS, MAX_GUESS_SLIP], then GOLDEN_STEPS golden sections of the best point's bracket (it shrinks
# by 0.618 a step: 60 steps take the 0.46-logit bracket below 1e-12 logits, far inside the EM
# tolerance, so the M-step is a smooth function of the expected counts).
GRID_POINTS = 41
GOLDEN_STEPS = 60
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def _bounded_argmax(
    objective: Callable[[FloatArray], FloatArray], n_skills: int, lo: float, hi: float
) -> FloatArray:
    """Per skill, the x in [lo, hi] (logits) maximizing ``objective``: (P, K) values of P
    candidate rows (P, K) of x. A grid, then golden sections around each skill's best point
    (the objective is a sum of concave pieces with flat stretches where a floor or the clamp
    holds: unimodal in practice, and the grid guards against the rest)."""
    grid = np.linspace(lo, hi, GRID_POINTS)
    values = objective(np.repeat(grid[:, None], n_skills, axis=1))
    best = np.argmax(values, axis=0)
    step = grid[1] - grid[0]
    a = np.maximum(grid[best] - step, lo)
    b = np.minimum(grid[best] + step, hi)
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc, fd = objective(np.stack([c, d]))
    for _ in range(GOLDEN_STEPS):
        left = fc >= fd  # the maximum is in [a, d], else in [c, b]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        # The kept inner point is reused as the other one (the golden ratio), both re-evaluated.
        c, d = np.where(left, b - _GOLDEN * (b - a), d), np.where(left, c, a + _GOLDEN * (b - a))
        fc, fd = objective(np.stack([c, d]))
    middle = (a + b) / 2.0
    # The grid's best point stays if the bracket search did not beat it (a flat objective).
    beaten = objective(middle[None, :])[0] >= values[best, np.arange(n_skills)]
    out: FloatArray = np.where(beaten, middle, grid[best])
    return out


def _per_skill(values: FloatArray, groups: ItemGroups, n_skills: int) -> FloatArray:
    """Sum (P, G) values over each skill's groups: (P, K)."""
    rows = values.shape[0]
    index = (np.arange(rows)[:, None] * n_skills + groups.skill[None, :]).ravel()
    sums = np.bincount(index, weights=values.ravel(), minlength=rows * n_skills)
    out: FloatArray = sums.astype(np.float64).reshape(rows, n_skills)
    return out


def _m_step_items(
    group_stats: FloatArray, groups: ItemGroups, current: Params
) -> tuple[FloatArray, FloatArray]:
    """Base guess and slip per skill maximizing the expected complete-data log-likelihood of
    the answers under the model's item emissions (a skill without answers keeps its values)."""
    right0, wrong0, wrong1, right1 = group_stats
    k = current[0].size
    lo, hi = float(_logit(np.array(_EPS))), float(_logit(np.array(MAX_GUESS_SLIP)))

    def guess_objective(x: FloatArray) -> FloatArray:
        g = _item_guess(_expit(x), groups)
        return _per_skill(right0 * np.log(g) + wrong0 * np.log1p(-g), groups, k)

    def slip_objective(x: FloatArray) -> FloatArray:
        s = _item_slip(_expit(x), groups)
        return _per_skill(wrong1 * np.log(s) + right1 * np.log1p(-s), groups, k)

    seen0 = np.bincount(groups.skill, weights=right0 + wrong0, minlength=k) > 1e-12
    seen1 = np.bincount(groups.skill, weights=wrong1 + right1, minlength=k) > 1e-12
    guess = np.where(seen0, _expit(_bounded_argmax(guess_objective, k, lo, hi)), current[2])
    slip = np.where(seen1, _expit(_bounded_argmax(slip_objective, k, lo, hi)), current[3])
    return np.clip(guess, _EPS, MAX_GUESS_SLIP), np.clip(slip, _EPS, MAX_GUESS_SLIP)


def _m_step(
    stats: FloatArray,
    current: Params,
    group_stats: FloatArray | None = None,
    groups: ItemGroups | None = None,
) -> Params:
    first1, n_seq, xi01, from0, g0_obs, g0_all, g1_wrong, g1_all = stats
    prior, learn, guess, slip = current

    def ratio(num: FloatArray, den: FloatArray, old: FloatArray, hi: float) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 1e-12, num / den, old)
        return np.clip(value, _EPS, hi)

    if group_stats is not None and groups is not None:
        new_guess, new_slip = _m_step_items(group_stats, groups, current)
    else:
        new_guess = ratio(g0_obs, g0_all, guess, MAX_GUESS_SLIP)
        new_slip = ratio(g1_wrong, g1_all, slip, MAX_GUESS_SLIP)
    return (
        ratio(first1, n_seq, prior, 1.0 - _EPS),
        ratio(xi01, from0, learn, 1.0 - _EPS),
        new_guess,
        new_slip,
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
        _, scale, _, _, _ = _forward(chunk, (prior, learn, guess, slip), groups=data.groups)
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
            group = None if chunk.group is None else chunk.group[:t_max, cols]
            chunks.append(_chunk(chunk.obs[:t_max, cols], lengths, chunk.skill[cols], None, group))
    return SequenceData(
        tuple(chunks), data.n_skills, data.n_responses, data.responses_per_skill, data.groups
    )


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
        stats, _, group_stats = _e_step(working, current)
        new = _m_step(stats, current, group_stats, working.groups)
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
        *_, pred = _forward(chunk, (prior, learn, guess, slip), predict=True, groups=data.groups)
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
