"""2PL item response theory for adaptive checks: information, item selection, ability by EAP.

Next item: Fisher information ``a² P (1 - P)`` of every unused item of the bank at the current
ability, one numpy pass; exposure control is *randomesque*: a uniform pick among the ``top_k``
most informative items, so the same best item is not shown to every learner. Ability is the EAP
(posterior mean under a standard normal prior on a fixed quadrature grid): it exists for all-right
and all-wrong patterns, where MLE diverges; its standard error is the posterior SD.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Ability",
    "eap",
    "information",
    "p_correct",
    "select_next",
    "should_stop",
]

FloatArray = npt.NDArray[np.float64]
_GRID = np.linspace(-4.0, 4.0, 81)
_LOG_PRIOR = -0.5 * _GRID**2


@dataclass(frozen=True)
class Ability:
    theta: float
    se: float


def p_correct(theta: float | FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-a * (theta - b))), dtype=np.float64)


def information(theta: float, a: FloatArray, b: FloatArray) -> FloatArray:
    p = p_correct(theta, a, b)
    return np.asarray(a * a * p * (1.0 - p), dtype=np.float64)


def select_next(
    theta: float,
    a: FloatArray,
    b: FloatArray,
    used: npt.NDArray[np.bool_],
    *,
    top_k: int = 5,
    rng: np.random.Generator | None = None,
) -> int | None:
    """Index of the next item, or None when every item of the bank has been used."""
    info = information(theta, a, b)
    info[used] = -np.inf
    available = int((~used).sum())
    if available == 0:
        return None
    k = max(1, min(top_k, available))
    if k == 1:
        return int(np.argmax(info))
    top = np.argpartition(info, -k)[-k:]
    chooser = rng or np.random.default_rng()
    return int(top[chooser.integers(k)])


def eap(a: Sequence[float], b: Sequence[float], correct: Sequence[bool]) -> Ability:
    """Posterior mean and SD of ability after the given responses (prior N(0, 1))."""
    log_post = _LOG_PRIOR.copy()
    if len(correct):
        aa = np.asarray(a, dtype=np.float64)[:, None]
        bb = np.asarray(b, dtype=np.float64)[:, None]
        y = np.asarray(correct, dtype=bool)[:, None]
        p = np.clip(1.0 / (1.0 + np.exp(-aa * (_GRID[None, :] - bb))), 1e-12, 1 - 1e-12)
        log_post = log_post + np.where(y, np.log(p), np.log1p(-p)).sum(axis=0)
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    theta = float((weights * _GRID).sum())
    se = float(np.sqrt((weights * (_GRID - theta) ** 2).sum()))
    return Ability(theta, se)


def should_stop(
    ability: Ability, answered: int, *, target_se: float, max_items: int, min_items: int = 1
) -> bool:
    if answered >= max_items:
        return True
    return answered >= min_items and ability.se <= target_se
