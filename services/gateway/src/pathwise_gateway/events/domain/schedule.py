"""When to try a delivery again, and what an answer means (pure: no I/O, no clock)."""

import email.utils
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["Verdict", "classify", "next_delay", "parse_retry_after", "should_disable"]


class Verdict(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    GONE = "gone"


@dataclass(frozen=True)
class _Policy:
    schedule: tuple[float, ...]
    scale: float
    jitter: float


def classify(status_code: int | None) -> Verdict:
    """2xx is success; 410 Gone disables the endpoint; anything else (3xx included) is retried."""
    if status_code is not None and 200 <= status_code < 300:
        return Verdict.SUCCESS
    if status_code == 410:
        return Verdict.GONE
    return Verdict.RETRY


def next_delay(
    attempts_made: int,
    schedule: tuple[float, ...],
    *,
    scale: float = 1.0,
    jitter: float = 0.2,
    retry_after: float | None = None,
    max_retry_after: float = 36000,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next attempt after ``attempts_made`` failed ones; None: give up.

    ``schedule[i]`` is the wait before attempt ``i + 1`` (the first is immediate), so after the
    last step the delivery has failed. A ``Retry-After`` longer than the step wins, capped.
    """
    if attempts_made < 1:
        raise ValueError("next_delay is asked after at least one attempt")
    if attempts_made >= len(schedule):
        return None
    base = schedule[attempts_made]
    spread = base * jitter
    delay = base + (rng or random).uniform(-spread, spread) if spread else base
    if retry_after is not None:
        delay = max(delay, min(retry_after, max_retry_after))
    return max(0.0, delay * scale)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; junk is ignored."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), 10**7))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def should_disable(failing_since: datetime | None, now: datetime, disable_after: float) -> bool:
    return failing_since is not None and now - failing_since >= timedelta(seconds=disable_after)
