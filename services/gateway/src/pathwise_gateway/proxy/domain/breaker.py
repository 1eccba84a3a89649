"""A circuit breaker per upstream: when the service cannot be reached, answer 503 at once for a
while instead of making every caller wait for a timeout; then let one trial call through.

It counts only signs that the *service* is unavailable, never the failure of one request:

- the call did not get an answer (connection refused or reset, connect or read timeout);
- the service answered 503 about itself: its database is down (``database-unavailable``)
  or something in front of it says unavailable (a 503 that is not one of our problems, or
  ``about:blank``).

An application error of one request (a 500, e.g. a unique violation) is that request's 502 and
resets the count like any other answer: the service is up, and opening the breaker on it would turn
one learner's bug into everyone's outage. A 503 the service passes on from *its* upstream
(``service-unavailable``) does not count either: that neighbour has its own breaker, and
the service's other operations still work. See docs/gateway.md, "Circuit breaker".
"""

import json
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from pathwise_shared.problem_types import PROBLEM_TYPE_BASE

__all__ = [
    "OWN_OUTAGE_TYPES",
    "BreakerListener",
    "CircuitBreaker",
    "answer_says_unavailable",
    "problem_type",
]

# Problem types by which a service says that it, not a neighbour, cannot serve right now.
OWN_OUTAGE_TYPES = frozenset({PROBLEM_TYPE_BASE + "database-unavailable", "about:blank"})


def problem_type(headers: Mapping[str, str], body: bytes) -> str | None:
    """The problem type of a Pathwise service's error answer; None for any other body (a proxy
    or server in front of the service, a body that is not a problem)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "problem+json" not in content_type:
        return None
    try:
        problem = json.loads(body)
    except ValueError:
        return None
    if not isinstance(problem, dict):
        return None
    return str(problem.get("type", "about:blank"))


def answer_says_unavailable(status: int, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an upstream's answer counts against its breaker (pure; see the module doc)."""
    if status != 503:
        return False
    kind = problem_type(headers, body)
    return kind is None or kind in OWN_OUTAGE_TYPES


class BreakerListener(Protocol):
    """Told what the breaker saw, so the service around it can say so (the breaker stays pure)."""

    def failed(self, reason: str, *, opened: bool) -> None:
        """A sign the service is unavailable; ``opened``: this one opened the breaker."""

    def recovered(self) -> None:
        """The service answered again after the breaker had opened."""

    def passed_on(self, reason: str) -> None:
        """The service answered 503 or 504 about a neighbour: not counted, but the call fails."""


class CircuitBreaker:
    def __init__(
        self,
        failures: int = 5,
        reset_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        listener: BreakerListener | None = None,
    ) -> None:
        self.threshold = failures
        self.listener = listener
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started: float | None = None

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_seconds:
            return "half-open"
        return "open"

    def retry_after(self) -> int:
        """Whole seconds until a trial call will be let through (at least 1)."""
        if self._opened_at is None:
            return 1
        remaining = self.reset_seconds - (self._clock() - self._opened_at)
        return max(1, int(remaining + 0.999))

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state != "half-open":
            return False
        now = self._clock()
        # A trial whose outcome never came (its caller went away mid-call) must not keep the
        # breaker open for ever: after another reset period, the next call is the trial.
        if self._trial_started is None or now - self._trial_started >= self.reset_seconds:
            self._trial_started = now
            return True
        return False

    def record_success(self) -> None:
        """The service answered (any answer that is not about its own unavailability)."""
        was_open = self._opened_at is not None
        self._failures = 0
        self._opened_at = None
        self._trial_started = None
        if was_open and self.listener is not None:
            self.listener.recovered()

    def record_failure(self, reason: str = "") -> None:
        """The service could not be reached, timed out, or said it is unavailable (``reason``:
        what was seen, for the listener)."""
        self._trial_started = None
        self._failures += 1
        opened = self._opened_at is None and self._failures >= self.threshold
        if self._opened_at is not None or self._failures >= self.threshold:
            self._opened_at = self._clock()
        if self.listener is not None:
            self.listener.failed(reason, opened=opened)

    def record_answer(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        said = f"answered {status} ({problem_type(headers, body) or 'no problem'})"
        if answer_says_unavailable(status, headers, body):
            self.record_failure(said)
            return
        if status in (503, 504) and self.listener is not None:
            self.listener.passed_on(said)
        self.record_success()
