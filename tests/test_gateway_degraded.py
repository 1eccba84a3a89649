"""The gateway when services go down: aggregates answer 200 with what came and a ``degraded``
list; proxied calls answer 503 problem+json with ``Retry-After``; the circuit breaker opens,
keeps answering 503 at once while open, and closes again once the service is back.

This module owns its stack: it stops real service processes, which must not disturb the shared
``stack`` of the other tests.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, start_stack
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")
CLASS = demo_id("class", "grade3-math")
BREAKER_RESET_SECONDS = 20


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "GATEWAY_BREAKER_FAILURES": "2",
        "GATEWAY_BREAKER_RESET_SECONDS": str(BREAKER_RESET_SECONDS),
        # Answers of the access check are cached; keep that out of what is measured here.
        "GATEWAY_ACCESS_CACHE_SECONDS": "0",
    }
    with start_stack(Path(tmp_path_factory.mktemp("degraded")), env=env) as running:
        yield running


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-request-id"]


def test_services_going_down(own_stack: Stack) -> None:
    with httpx.Client(base_url=own_stack.config.url("gateway"), timeout=20.0) as gw:
        teacher = dev_login(gw, "teacher-01")
        guardian = dev_login(gw, "guardian-01")  # LEARNER's guardian
        overview_url = f"/v1/learners/{LEARNER}/overview"
        dashboard_url = f"/v1/classes/{CLASS}/dashboard"
        summary_url = f"/v1/me/children/{LEARNER}/summary"

        # The services start together with the gateway; it loads the routes of a service that
        # was not up yet within its retry interval (a couple of seconds).
        deadline = time.monotonic() + 20
        while True:
            healthy = gw.get(overview_url, headers=teacher)
            if not healthy.json().get("degraded") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert healthy.status_code == 200, healthy.text
        body = healthy.json()
        assert body["degraded"] == [] and body["withheld"] == []
        assert body["profile"]["learner_id"] == str(LEARNER)
        assert body["mastery"] is not None
        board = gw.get(dashboard_url, headers=teacher)
        assert board.status_code == 200, board.text
        assert board.json()["degraded"] == []
        assert len(board.json()["learners"]) == 10
        assert board.json()["groups"] is None  # never grouped: not a degraded part
        summary = gw.get(summary_url, headers=guardian)
        assert summary.status_code == 200, summary.text
        assert summary.json()["degraded"] == []

        # Assessment down: the mastery parts are missing, the rest still comes.
        own_stack.stop_one("assessment")
        overview = gw.get(overview_url, headers=teacher)
        assert overview.status_code == 200, overview.text
        assert overview.json()["degraded"] == ["mastery"]
        assert overview.json()["mastery"] is None
        assert overview.json()["profile"]["learner_id"] == str(LEARNER)
        board = gw.get(dashboard_url, headers=teacher)
        assert board.status_code == 200, board.text
        # Pathways computes the flags from assessment's mastery: they are missing too.
        assert sorted(board.json()["degraded"]) == ["flags", "mastery"]
        assert len(board.json()["learners"]) == 10
        assert all(row["mastery"] == {} for row in board.json()["learners"])
        # The guardian's summary: the practice and mastery parts are missing, the rest comes.
        summary = gw.get(summary_url, headers=guardian)
        assert summary.status_code == 200, summary.text
        assert summary.json()["degraded"] == ["mastery"]
        assert summary.json()["recent_evidence"] is None
        assert summary.json()["mastery_by_goal"] is None
        assert summary.json()["goals"] and summary.json()["current_step"] is not None

        # Pathways down as well: proxied calls are 503; after two failures the breaker opens.
        own_stack.stop_one("pathways")
        for _ in range(2):
            _assert_unavailable(gw.get("/v1/skills", headers=teacher))
        opened = time.monotonic()
        overview = gw.get(overview_url, headers=teacher)
        assert overview.status_code == 200, overview.text
        assert sorted(overview.json()["degraded"]) == ["mastery", "pathway"]
        assert overview.json()["profile"] is not None
        board = gw.get(dashboard_url, headers=teacher)
        assert sorted(board.json()["degraded"]) == ["flags", "groups", "mastery"]
        assert board.json()["groups"] is None
        summary = gw.get(summary_url, headers=guardian)
        assert summary.status_code == 200, summary.text
        assert sorted(summary.json()["degraded"]) == [
            "mastery", "pathway", "portfolio", "support_notes"
        ]  # fmt: skip
        assert summary.json()["support_notes"] is None
        assert summary.json()["shared"]["portfolio"] is None
        assert summary.json()["upcoming"] is None
        assert summary.json()["goals"]  # profiles still answers

        # Back up, but the breaker is open: 503 at once, until its reset time has passed.
        spec = next(s for s in SERVICES if s.name == "pathways")
        own_stack.start_one(spec)
        own_stack.wait_ready(timeout=BREAKER_RESET_SECONDS - 5, services=("pathways",))
        assert httpx.get(f"{own_stack.config.url('pathways')}/healthz", timeout=5).is_success
        assert time.monotonic() - opened < BREAKER_RESET_SECONDS
        still_open = gw.get("/v1/skills", headers=teacher)
        _assert_unavailable(still_open)
        deadline = opened + BREAKER_RESET_SECONDS + 15
        while True:
            answer = gw.get("/v1/skills", headers=teacher)
            if answer.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert answer.status_code == 200, answer.text

        # Profiles down: no object-level check is possible, so nothing about a learner is
        # answered (503, not a 500, not a guess).
        own_stack.stop_one("profiles")
        _assert_unavailable(gw.get(overview_url, headers=teacher))
        _assert_unavailable(gw.get(f"/v1/learners/{LEARNER}/pathway", headers=teacher))
        _assert_unavailable(gw.get(summary_url, headers=guardian))
        _assert_unavailable(gw.get("/v1/me/children", headers=guardian))
