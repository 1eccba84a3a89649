"""The circuit breaker's rules on their own (pure: a fake clock, no I/O). What reaches it from a
real upstream is tested in test_hygiene.py and test_access_check_500s_do_not_open_the_breaker."""

import json

from pathwise_gateway.proxy.domain.breaker import CircuitBreaker, answer_says_unavailable

PROBLEM = {"content-type": "application/problem+json"}


def _problem(type_: str) -> bytes:
    return json.dumps({"type": type_, "title": "t", "status": 503}).encode()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_what_counts_as_the_service_being_unavailable() -> None:
    assert answer_says_unavailable(
        503, PROBLEM, _problem("https://pathwise.dev/problems/database-unavailable")
    )
    assert answer_says_unavailable(503, PROBLEM, _problem("about:blank"))
    assert answer_says_unavailable(503, {"content-type": "text/html"}, b"<h1>Bad gateway</h1>")
    # A neighbour's outage passed on, and every application error, are not.
    assert not answer_says_unavailable(
        503, PROBLEM, _problem("https://pathwise.dev/problems/service-unavailable")
    )
    for status in (200, 201, 400, 404, 409, 422, 500, 502, 504):
        assert not answer_says_unavailable(status, PROBLEM, _problem("about:blank")), status


def test_application_errors_never_open_it_and_reset_the_count() -> None:
    breaker = CircuitBreaker(failures=2, reset_seconds=10, clock=Clock())
    unavailable = _problem("https://pathwise.dev/problems/database-unavailable")
    for _ in range(10):
        breaker.record_answer(500, {}, b"boom")
    assert breaker.state == "closed"
    breaker.record_answer(503, PROBLEM, unavailable)
    breaker.record_answer(500, {}, b"boom")  # the service answered: it is up
    breaker.record_answer(503, PROBLEM, unavailable)
    assert breaker.state == "closed"
    breaker.record_failure()  # two in a row: open
    assert breaker.state == "open"
    assert not breaker.allow()


def test_half_open_lets_one_trial_through_and_a_lost_trial_expires() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, reset_seconds=10, clock=clock)
    breaker.record_failure()
    assert breaker.state == "open" and breaker.retry_after() == 10
    clock.now += 10
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    # The trial's caller went away (cancelled): no outcome is ever recorded. After another
    # reset period a new trial goes through instead of the breaker staying open for ever.
    clock.now += 9
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    breaker.record_answer(500, {}, b"boom")  # reachable: closes
    assert breaker.state == "closed" and breaker.allow()


class Heard:
    """A listener that keeps what it was told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, ...]] = []

    def failed(self, reason: str, *, opened: bool) -> None:
        self.told.append(("failed", reason, "opened" if opened else "counted"))

    def recovered(self) -> None:
        self.told.append(("recovered",))

    def passed_on(self, reason: str) -> None:
        self.told.append(("passed on", reason))


def test_the_listener_hears_each_failure_the_opening_and_the_recovery_once() -> None:
    clock, heard = Clock(), Heard()
    breaker = CircuitBreaker(failures=2, reset_seconds=10, clock=clock, listener=heard)
    breaker.record_answer(200, {}, b"{}")  # an answer while closed: nothing to say
    breaker.record_failure("ServerDisconnectedError: Server disconnected")
    breaker.record_answer(
        503, PROBLEM, _problem("https://pathwise.dev/problems/database-unavailable")
    )
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure("ConnectTimeout")  # the trial failed: open again, not "opened"
    clock.now += 10
    assert breaker.allow()
    breaker.record_answer(200, {}, b"{}")
    breaker.record_answer(200, {}, b"{}")
    neighbour = _problem("https://pathwise.dev/problems/service-unavailable")
    breaker.record_answer(503, PROBLEM, neighbour)  # a neighbour's outage: said, not counted
    assert breaker.state == "closed"
    assert heard.told == [
        ("failed", "ServerDisconnectedError: Server disconnected", "counted"),
        ("failed", "answered 503 (https://pathwise.dev/problems/database-unavailable)", "opened"),
        ("failed", "ConnectTimeout", "counted"),
        ("recovered",),
        ("passed on", "answered 503 (https://pathwise.dev/problems/service-unavailable)"),
    ]
