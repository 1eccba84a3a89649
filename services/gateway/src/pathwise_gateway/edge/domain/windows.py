"""Sliding-window counters in this process's memory (pure: the caller passes the time).

The arithmetic of the ``limits`` library's sliding window counter (``SlidingWindowCounter`` with
``memory://`` storage), so the answers and headers are the same: windows are aligned to multiples
of the period; the count is the previous window's, weighted by how much of it still overlaps the
sliding window, plus the current one's. What differs is the bookkeeping: ``limits`` starts a
``threading.Timer`` thread to expire keys whenever its last one has finished, i.e. a thread start
per request under load (a quarter of a proxied call's CPU in the gateway). Here stale windows are
swept inline, at most once per ``sweep_seconds``.
"""

from math import floor, inf

__all__ = ["SlidingWindows"]


class SlidingWindows:
    def __init__(self, sweep_seconds: float = 10.0) -> None:
        # (key, window index) -> (count, time after which the window can no longer matter)
        self._counts: dict[tuple[str, int], tuple[int, float]] = {}
        self._sweep_seconds = sweep_seconds
        self._next_sweep = 0.0

    def _window(self, key: str, period: float, now: float) -> tuple[int, int, float, int, float]:
        """The current window's index, the previous count and its time left to weigh by, the
        current count and its time to expiry (as ``limits`` reports them)."""
        index = int(now / period)
        left = (1 - (now / period) % 1) * period
        previous = self._counts.get((key, index - 1), (0, 0.0))[0]
        current = self._counts.get((key, index), (0, 0.0))[0]
        return index, previous, left if previous else 0.0, current, left + period

    def hit(self, key: str, limit: int, period: float, now: float, cost: int = 1) -> bool:
        """Count ``cost`` against ``key`` if the weighted count stays within ``limit``."""
        if cost > limit:
            return False
        index, previous, previous_ttl, current, _ = self._window(key, period, now)
        if floor(previous * previous_ttl / period + current) + cost > limit:
            return False
        self._counts[(key, index)] = (current + cost, (index + 2) * period)
        if now >= self._next_sweep:
            self._sweep(now)
        return True

    def stats(self, key: str, limit: int, period: float, now: float) -> tuple[float, int]:
        """(the time the count next drops, what is left of ``limit``)."""
        _, previous, previous_ttl, current, current_ttl = self._window(key, period, now)
        remaining = max(0, limit - floor(previous * previous_ttl / period + current))
        if not (previous or current):
            return now, remaining
        previous_reset_in = previous_ttl % (period / previous) if previous else inf
        current_reset_in = current_ttl % period if current else inf
        return now + min(previous_reset_in, current_reset_in), remaining

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._sweep_seconds
        stale = [k for k, (_, useless_after) in self._counts.items() if useless_after <= now]
        for k in stale:
            del self._counts[k]

    def __len__(self) -> int:
        return len(self._counts)
