"""A database refusing connections (issue 11, finding 5): PostgreSQL is told to refuse the
database (``ALLOW_CONNECTIONS false``) and its open connections are cut, which is what a
database restart, a failover or a full connection limit looks like to a service.

Callers must get 503 problem+json with ``Retry-After`` (come back later), never a 500 or a 502
(something is broken), from the service itself and through the gateway, before and after the
circuit breaker opens; and everything works again once the database is back.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from pathwise_assessment.seed import check_id
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import TEST_SECRET
from pathwise_gateway.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_DISTRICT
from pathwise_shared.auth import Principal, issue_internal_token
from tests.faults.support import (
    answer_body,
    create_endpoint,
    demo_learner,
    fault_stack,
    learner_headers,
    pg_admin,
    pg_database_of,
    start_attempt,
    wait_until,
)

pytestmark = pytest.mark.integration

SKILL = "3.OA.C.7"
CALLS = 8  # more than the breaker's threshold (5): before and after it would open
RECOVERY_BOUND_SECONDS = 45.0


@contextmanager
def refused(stack: Stack, service: str) -> Iterator[None]:
    name = pg_database_of(stack, service)
    pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        pg_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def _unavailable(answer: httpx.Response) -> str | None:
    """Why ``answer`` is not the 503 an outage must give (None when it is)."""
    if answer.status_code != 503:
        return f"{answer.request.method} {answer.request.url.path}: {answer.status_code}"
    if answer.headers.get("content-type") != "application/problem+json":
        return f"{answer.request.url.path}: 503 but {answer.headers.get('content-type')}"
    retry_after = answer.headers.get("retry-after", "")
    if not retry_after.isdigit() or int(retry_after) < 1:
        return f"{answer.request.url.path}: 503 without a usable Retry-After ({retry_after!r})"
    return None


def test_a_services_database_refusing_connections_gives_503_then_recovers(
    tmp_path: Path,
) -> None:
    with fault_stack(tmp_path) as stack:
        username, learner = demo_learner(7)
        student = Principal(
            subject=str(learner), kind="user", district_id=DEMO_DISTRICT,
            roles=frozenset({"student"}), user_id=learner,
        )  # fmt: skip
        internal = {"Authorization": f"Bearer {issue_internal_token(student, TEST_SECRET)}"}
        with (
            httpx.Client(base_url=stack.config.url("gateway"), timeout=20.0) as gw,
            httpx.Client(base_url=stack.config.url("assessment"), timeout=20.0) as direct,
        ):
            headers = learner_headers(gw, username)
            teacher = learner_headers(gw, "teacher-01")
            attempt = start_attempt(gw, headers, SKILL, learner)
            item, body = answer_body(SKILL, 1)
            answer_path = f"/v1/attempts/{attempt}/responses/{item}"

            problems: list[str] = []
            with refused(stack, "assessment"):
                for _ in range(CALLS):
                    for answer in (
                        gw.put(answer_path, json=body, headers=headers),
                        gw.get(f"/v1/learners/{learner}/mastery", headers=teacher),
                        direct.put(answer_path, json=body, headers=internal),
                    ):
                        if (why := _unavailable(answer)) is not None:
                            problems.append(why)
                ready = direct.get("/readyz")
                if (why := _unavailable(ready)) is not None:
                    problems.append(why)
            assert not problems, "\n".join(sorted(set(problems)))

            def answered() -> bool:
                return gw.put(answer_path, json=body, headers=headers).status_code == 200

            assert wait_until(answered, RECOVERY_BOUND_SECONDS, interval=1.0), (
                "no recovery after the database came back\n" + stack.log_text("assessment")[-2000:]
            )
            got = gw.get(f"/v1/attempts/{attempt}", headers=headers)
            assert [r["item_id"] for r in got.json()["responses"]] == [item]


def test_the_gateways_database_refusing_connections_gives_503_then_recovers(
    tmp_path: Path,
) -> None:
    with fault_stack(tmp_path) as stack:
        username, learner = demo_learner(8)
        with httpx.Client(base_url=stack.config.url("gateway"), timeout=20.0) as gw:
            # Tokens first: issuing them is one of the things that fails in the outage.
            headers = learner_headers(gw, username)
            admin = learner_headers(gw, "admin-district")
            endpoint = create_endpoint(gw, "http://127.0.0.1:9/never", "never called")
            client_form = {
                "grant_type": "client_credentials",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
            }
            client = gw.post("/v1/auth/token", data=client_form)
            assert client.status_code == 200, client.text
            client_headers = {"Authorization": f"Bearer {client.json()['access_token']}"}
            key = "gateway-db-outage-1"
            start = f"/v1/assessments/{check_id(SKILL)}/attempts"

            problems: list[str] = []
            with refused(stack, "gateway"):
                for _ in range(3):
                    for answer in (
                        gw.post(
                            start,
                            json={"learner_id": str(learner)},
                            headers={**headers, "Idempotency-Key": key},
                        ),
                        gw.get("/v1/audit", headers=admin),
                        gw.get(f"/v1/webhooks/{endpoint.id}", headers=client_headers),
                        gw.post("/v1/auth/token", data=client_form),
                        gw.get("/readyz"),
                    ):
                        if (why := _unavailable(answer)) is not None:
                            problems.append(why)
            assert not problems, "\n".join(sorted(set(problems)))

            # Back: the keyed write goes through once, and its key replays the same attempt.
            deadline = time.monotonic() + RECOVERY_BOUND_SECONDS
            while True:
                first = gw.post(
                    start,
                    json={"learner_id": str(learner)},
                    headers={**headers, "Idempotency-Key": key},
                )
                if first.status_code in (200, 201) or time.monotonic() > deadline:
                    break
                time.sleep(1.0)
            assert first.status_code in (200, 201), first.text
            again = gw.post(
                start,
                json={"learner_id": str(learner)},
                headers={**headers, "Idempotency-Key": key},
            )
            assert again.status_code in (200, 201) and again.json()["id"] == first.json()["id"]
            assert gw.get("/v1/audit", headers=admin).status_code == 200
