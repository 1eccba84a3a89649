"""Bayesian Knowledge Tracing: the per-response update (pure, a few microseconds).

Two hidden states (skill unknown / known). ``guess`` = P(correct | unknown), ``slip`` =
P(wrong | known), ``learn`` = P(unknown -> known) after each opportunity, ``forget`` = P(known ->
unknown) (0 in classic BKT). Guess and slip are kept below 0.5: above it "known" and "unknown" swap
meaning and the model is not identifiable.
"""

import math
from dataclasses import dataclass

__all__ = [
    "DEFAULT_PARAMS",
    "MAX_GUESS_SLIP",
    "BktParams",
    "decay",
    "p_correct",
    "posterior",
    "update",
]

MAX_GUESS_SLIP = 0.5 - 1e-3


@dataclass(frozen=True)
class BktParams:
    prior: float = 0.2
    learn: float = 0.15
    guess: float = 0.2
    slip: float = 0.1
    forget: float = 0.0

    def __post_init__(self) -> None:
        for name in ("prior", "learn", "guess", "slip", "forget"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability, got {value}")
        if self.guess >= 0.5 or self.slip >= 0.5:
            raise ValueError("guess and slip must stay below 0.5 (identifiability)")


# Sensible defaults for a new skill before a district has data to fit (common BKT starting values).
DEFAULT_PARAMS = BktParams()


def p_correct(p_known: float, params: BktParams) -> float:
    """Probability the next response is correct."""
    return p_known * (1.0 - params.slip) + (1.0 - p_known) * params.guess


def posterior(p_known: float, correct: bool, params: BktParams) -> float:
    """P(known) given this response (before the learning transition)."""
    if correct:
        known = p_known * (1.0 - params.slip)
        unknown = (1.0 - p_known) * params.guess
    else:
        known = p_known * params.slip
        unknown = (1.0 - p_known) * (1.0 - params.guess)
    total = known + unknown
    return known / total if total > 0 else p_known


def update(p_known: float, correct: bool, params: BktParams) -> float:
    """P(known) after this response and the chance to learn from it."""
    post = posterior(p_known, correct, params)
    return post * (1.0 - params.forget) + (1.0 - post) * params.learn


def decay(p_known: float, floor: float, elapsed_days: float, half_life_days: float) -> float:
    """Forgetting over time: the distance above ``floor`` (the skill's prior) halves every
    ``half_life_days`` without practice. Never raises P(known)."""
    if elapsed_days <= 0 or half_life_days <= 0 or p_known <= floor:
        return p_known
    return floor + (p_known - floor) * math.pow(0.5, elapsed_days / half_life_days)
