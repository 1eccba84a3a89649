"""The in-process sliding windows answer exactly as the ``limits`` library's sliding window counter
on ``memory://`` (which they replace, for its thread started per request): the same decision and
the same window stats for the same hits at the same times."""

import random
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from pathwise_gateway.edge.domain.windows import SlidingWindows


class FakeTime:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime(1_800_000_000.25)
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.mark.parametrize(("rate", "seed"), [("5/second", 1), ("10/minute", 2), ("3/minute", 3)])
def test_same_answers_as_limits(clock: FakeTime, rate: str, seed: int) -> None:
    item = parse(rate)
    period = item.get_expiry()
    reference = SlidingWindowCounterRateLimiter(MemoryStorage())
    ours = SlidingWindows(sweep_seconds=period / 3)
    rng = random.Random(seed)
    refused = 0
    for _ in range(400):
        # Bursts and pauses, some longer than two windows (everything expired).
        steps = [0.0] * 6 + [0.001, period / 50, period / 50, period / 7, period / 2, period * 2.5]
        clock.now += rng.choice(steps)
        key = rng.choice(["user/a", "user/b"])
        expected = reference.hit(item, key)
        got = ours.hit(item.key_for(key), item.amount, period, clock.now)
        assert got == expected
        refused += not got
        stats = reference.get_window_stats(item, key)
        reset_time, remaining = ours.stats(item.key_for(key), item.amount, period, clock.now)
        assert remaining == stats.remaining
        assert reset_time == pytest.approx(stats.reset_time)
    assert refused > 0  # the sequence did reach the limit


def test_stale_windows_are_swept() -> None:
    windows = SlidingWindows(sweep_seconds=1.0)
    for n in range(100):
        assert windows.hit(f"k{n}", 10, 60, 1000.0)
    assert len(windows) == 100
    # Two periods later none of them can matter; the next hit sweeps them.
    assert windows.hit("fresh", 10, 60, 1000.0 + 180)
    assert len(windows) == 1
