"""Time limits and the extended-time accommodation."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

__all__ = ["DEFAULT_EXTENDED_FACTOR", "MAX_FACTOR", "deadline", "time_factor"]

# When a learner's profile names extended time without a factor, time-and-a-half (the usual IEP/504 grant).
DEFAULT_EXTENDED_FACTOR = 1.5
MAX_FACTOR = 4.0


def _is_extended_time(term: str) -> bool:
    words = term.casefold().replace("-", " ").replace("_", " ")
    return "extended" in words and "time" in words


def time_factor(accommodations: Iterable[Mapping[str, Any]]) -> float:
    """The largest extended-time factor of the learner's accommodations (1.0 without one)."""
    factor = 1.0
    for acc in accommodations:
        term = acc.get("term")
        if not isinstance(term, str) or not _is_extended_time(term):
            continue
        raw = acc.get("factor")
        value = float(raw) if isinstance(raw, int | float) and raw > 0 else DEFAULT_EXTENDED_FACTOR
        factor = max(factor, min(value, MAX_FACTOR))
    return factor


def deadline(started_at: datetime, limit_seconds: int | None, factor: float) -> datetime | None:
    if limit_seconds is None:
        return None
    return started_at + timedelta(seconds=round(limit_seconds * factor))
