"""UTC time helpers: every timestamp we store or emit is timezone-aware UTC.

``utcnow()`` reads the *current clock*, the system clock unless a caller installed another with
``use_clock``. Code that decides by time (leases, expiry, retention, decay) calls ``utcnow()``;
a test hands it a ``ManualClock`` and advances it instead of sleeping, so a one-hour lease is
tested in milliseconds and the test cannot flake on a slow machine. The clock lives in a
``ContextVar``: it reaches the test's own task and every task started from it (an in-process
request, ``asyncio.gather``), but not the background loops an app started before (its relay
keeps real time), and never another test.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

__all__ = ["Clock", "ManualClock", "SystemClock", "as_utc", "use_clock", "utcnow"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock that moves only when told to (``advance``); starts at the real time by default
    so that what it stamps sorts sensibly beside rows other code wrote."""

    current: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self.current = as_utc(self.current)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by ``seconds`` (and/or ``timedelta`` keywords: ``hours=1``)."""
        step = timedelta(seconds=seconds, **delta)
        if step < timedelta(0):
            raise ValueError("A clock does not run backwards.")
        self.current += step
        return self.current


_SYSTEM = SystemClock()
_clock: ContextVar[Clock] = ContextVar("pathwise_clock", default=_SYSTEM)


def utcnow() -> datetime:
    return _clock.get().now()


_C = TypeVar("_C", bound=Clock)


@contextmanager
def use_clock(clock: _C) -> Iterator[_C]:
    """Make ``clock`` the clock of ``utcnow()`` in this context until the block ends."""
    token = _clock.set(clock)
    try:
        yield clock
    finally:
        _clock.reset(token)


def as_utc(value: datetime) -> datetime:
    """Naive values are taken as UTC (SQLite hands them back naive); aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
