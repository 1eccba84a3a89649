"""What the fault suite needs beside the stack: a loopback webhook receiver that can fail or hang,
kill -9 / pause of a real service process, the services' outboxes read straight from their
PostgreSQL databases (the ground truth of what was emitted), and a learner taking a skill check.

Nothing here fakes Pathwise: the stack is ``pathwise_devstack.testing.start_stack`` (real uvicorn
processes, real PostgreSQL databases), and the receiver is a real HTTP server on loopback.
"""

import asyncio
import json
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from standardwebhooks import Webhook

from pathwise_assessment.seed import check_id, item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import backend, bearer, start_stack
from pathwise_gateway.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_DISTRICT
from pathwise_shared.demo import demo_id

__all__ = [
    "FAST_RETRY_SCHEDULE",
    "Delivery",
    "Endpoint",
    "Receiver",
    "answer_body",
    "assert_no_500",
    "create_endpoint",
    "demo_learner",
    "emitted",
    "fault_stack",
    "item_count",
    "kill9",
    "learner_headers",
    "outbox_events",
    "pause",
    "pg_admin",
    "pg_database_of",
    "restart",
    "resume",
    "start_attempt",
    "take_check",
    "wait_until",
]

# Every retry comes within a second or so, and twelve attempts make an event that a receiver
# failing 30 % of requests never acknowledges (0.3^12 ≈ 5e-7) practically impossible: what the
# suite checks is that nothing is lost, not the production schedule (docs/events.md).
FAST_RETRY_SCHEDULE = "[0, 0.2, 0.4, 0.8, 1, 1, 1, 1, 1, 1, 1, 1]"


def _require_postgresql() -> None:
    if backend() != "postgresql":
        raise RuntimeError(
            "the fault suite runs on PostgreSQL (it cuts database connections and reads the "
            "outboxes with asyncpg): run `make test-faults`, or set "
            "PATHWISE_TEST_DATABASE=postgresql"
        )


@contextmanager
def fault_stack(
    directory: Path, env: Mapping[str, str] | None = None, *, seed: bool = True
) -> Iterator[Stack]:
    """A stack of the test's own (it is about to be killed, paused or starved), with webhooks
    allowed to loopback and a compressed retry schedule."""
    _require_postgresql()
    base = {
        "GATEWAY_WEBHOOKS_ALLOW_LOOPBACK": "true",
        "GATEWAY_WEBHOOKS_RETRY_SCHEDULE": FAST_RETRY_SCHEDULE,
        "PATHWISE_LOG_LEVEL": "WARNING",
    }
    with start_stack(directory, seed=seed, env={**base, **(env or {})}) as running:
        yield running


# -- processes ------------------------------------------------------------------------------


def kill9(stack: Stack, name: str) -> None:
    """SIGKILL: no shutdown hook, no flush, no rollback sent; what a crash or the OOM killer does."""
    proc = stack.processes[name]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    stack.stop_one(name)  # forgets the dead process and closes its log


def restart(stack: Stack, name: str, timeout: float = 60.0) -> None:
    spec = next(s for s in SERVICES if s.name == name)
    stack.start_one(spec)
    stack.wait_ready(timeout=timeout, services=(name,))


def pause(stack: Stack, name: str) -> None:
    """SIGSTOP: the process holds its sockets and connections but answers nothing (a hung
    process, a long GC pause, a VM migration)."""
    stack.processes[name].send_signal(signal.SIGSTOP)


def resume(stack: Stack, name: str) -> None:
    stack.processes[name].send_signal(signal.SIGCONT)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


# -- databases ------------------------------------------------------------------------------


def _pg_connect_args(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {
        "host": parsed.host,
        "port": parsed.port or 5432,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }


def pg_database_of(stack: Stack, service: str) -> str:
    name = _pg_connect_args(stack.config.database_urls[service])["database"]
    assert isinstance(name, str)
    return name


def pg_admin(sql: str, *args: object) -> None:
    """One statement on the maintenance database, as the test run's superuser."""
    admin = os.environ.get("PATHWISE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

    async def run() -> None:
        conn = await asyncpg.connect(**_pg_connect_args(admin))
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    asyncio.run(run())


def outbox_events(stack: Stack, service: str, since: datetime) -> dict[str, dict[str, Any]]:
    """Every event ``service`` committed to its outbox since ``since`` (the envelopes, by id):
    what must reach a receiver subscribed to everything, read from the service's own database."""

    async def run() -> dict[str, dict[str, Any]]:
        conn = await asyncpg.connect(**_pg_connect_args(stack.config.database_urls[service]))
        try:
            rows = await conn.fetch(
                "SELECT id, envelope FROM outbox WHERE occurred_at >= $1 AND district_id = $2",
                since,
                DEMO_DISTRICT,
            )
        finally:
            await conn.close()
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            envelope = row["envelope"]
            found[str(row["id"])] = json.loads(envelope) if isinstance(envelope, str) else envelope
        return found

    return asyncio.run(run())


# -- webhook receiver -----------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    path: str
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.time(), comparable with an event's occurred_at
    status: int


@dataclass
class _Behaviour:
    fail_ratio: float = 0.0
    hang_seconds: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(11))


class Receiver:
    """A district's webhook receiver on loopback, one path per endpoint, each with its own
    behaviour: healthy, failing a fraction of requests (500), or hanging. It records every
    request it answered; verifying signatures is left to the test (with ``standardwebhooks``)."""

    def __init__(self) -> None:
        self._behaviours: dict[str, _Behaviour] = {}
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.deliveries: list[Delivery] = []
        self._arrivals: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                behaviour = receiver._behaviours.get(self.path)
                with receiver._lock:
                    receiver._arrivals[self.path] = receiver._arrivals.get(self.path, 0) + 1
                if behaviour is None:
                    self._answer(404)
                    return
                if behaviour.hang_seconds:
                    # Longer than the gateway's per-attempt timeout; released when the test ends.
                    receiver._released.wait(behaviour.hang_seconds)
                with receiver._lock:
                    failing = behaviour.rng.random() < behaviour.fail_ratio
                status = 500 if failing else 200
                receiver._record(self.path, dict(self.headers.items()), body, status)
                self._answer(status)

            def _answer(self, status: int) -> None:
                payload = b"ok" if status == 200 else b"no"
                try:
                    self.send_response(status)
                    self.send_header("content-type", "text/plain")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up (timeout) before the answer: nothing to do

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, *, fail_ratio: float = 0.0, hang_seconds: float = 0.0) -> str:
        self._behaviours[path] = _Behaviour(fail_ratio=fail_ratio, hang_seconds=hang_seconds)
        return f"{self.base_url}{path}"

    def _record(self, path: str, headers: dict[str, str], body: bytes, status: int) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        delivery = Delivery(path, lowered.get("webhook-id", ""), lowered, body, time.time(), status)
        with self._lock:
            self.deliveries.append(delivery)

    def acknowledged(self, path: str) -> dict[str, Delivery]:
        """The first acknowledged (2xx) delivery of each event id at ``path``: the receiver's
        view after deduplicating on ``webhook-id`` as Standard Webhooks asks."""
        with self._lock:
            found: dict[str, Delivery] = {}
            for d in self.deliveries:
                if d.path == path and d.status == 200:
                    found.setdefault(d.webhook_id, d)
            return found

    def arrived(self, path: str) -> int:
        """Requests that reached ``path``, answered or not yet (a hanging one never is)."""
        with self._lock:
            return self._arrivals.get(path, 0)

    def requests(self, path: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.path == path]

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    secret: str
    created_at: datetime

    def verify(self, delivery: Delivery) -> dict[str, Any]:
        """The payload, verified as a district would (``standardwebhooks``, not our signer)."""
        payload: dict[str, Any] = Webhook(self.secret).verify(delivery.body, delivery.headers)
        return payload


def _client_headers(gw: httpx.Client) -> dict[str, str]:
    answer = gw.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def create_endpoint(gw: httpx.Client, url: str, description: str) -> Endpoint:
    """An endpoint of the demo integration client for every event type of the demo district."""
    created = gw.post(
        "/v1/webhooks",
        json={"url": url, "event_types": [], "description": description},
        headers=_client_headers(gw),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    return Endpoint(body["id"], url, body["secret"], datetime.fromisoformat(body["created_at"]))


# -- learners -------------------------------------------------------------------------------


def demo_learner(n: int) -> tuple[str, uuid.UUID]:
    username = f"learner-{n:02d}"
    return username, demo_id("learner", username)


def learner_headers(gw: httpx.Client, username: str) -> dict[str, str]:
    answer = gw.post("/v1/auth/token", data={"grant_type": "password", "username": username})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def start_attempt(
    gw: httpx.Client, headers: Mapping[str, str], skill: str, learner: uuid.UUID
) -> str:
    started = gw.post(
        f"/v1/assessments/{check_id(skill)}/attempts",
        json={"learner_id": str(learner)},
        headers=dict(headers),
    )
    assert started.status_code == 201, started.text
    attempt: str = started.json()["id"]
    return attempt


def _correct(spec: Mapping[str, Any]) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "single_choice":
        return {"choice": spec["correct"]}
    if kind == "multiple_select":
        return {"choices": spec["correct"]}
    if kind == "numeric":
        return {"value": spec["value"], **({"unit": spec["unit"]} if spec.get("unit") else {})}
    if kind == "short_text":
        return {"text": spec["accepted"][0]}
    if kind == "ordering":
        return {"order": spec["order"]}
    raise AssertionError(f"no automatic answer for {kind}")


def _wrong(spec: Mapping[str, Any]) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "single_choice":
        other = next(c["id"] for c in spec["choices"] if c["id"] != spec["correct"])
        return {"choice": other}
    if kind == "numeric":
        return {"value": float(spec["value"]) + 1000.0}
    if kind == "short_text":
        return {"text": "certainly not the answer"}
    return _correct(spec)  # the other kinds are only ever answered right here


def answer_body(skill: str, n: int, *, correct: bool = True) -> tuple[str, dict[str, Any]]:
    """The ``n``-th (1-based) item of ``skill``'s demo check and an answer to it."""
    spec = DEMO_ITEMS[skill][n - 1]["spec"]
    return str(item_id(skill, n)), {"answer": _correct(spec) if correct else _wrong(spec)}


def item_count(skill: str) -> int:
    return len(DEMO_ITEMS[skill])


def assert_no_500(statuses: list[int], context: str) -> None:
    """A 500 is a bug whatever the fault: it means an unexpected error, never an outage."""
    assert 500 not in statuses, f"{context}: a 500 among {sorted(statuses)}"


def take_check(gw: httpx.Client, username: str, learner: uuid.UUID, skill: str) -> str:
    """A learner takes ``skill``'s demo check through the gateway (every answer right) and
    finishes it: ``response.scored`` per item, ``mastery.changed``, ``attempt.completed``."""
    headers = learner_headers(gw, username)
    attempt = start_attempt(gw, headers, skill, learner)
    for n in range(1, item_count(skill) + 1):
        item, body = answer_body(skill, n)
        answered = gw.put(f"/v1/attempts/{attempt}/responses/{item}", json=body, headers=headers)
        assert answered.status_code == 200, answered.text
    finished = gw.post(f"/v1/attempts/{attempt}/finish", headers=headers)
    assert finished.status_code == 200, finished.text
    return attempt


def emitted(stack: Stack, since: datetime) -> dict[str, dict[str, Any]]:
    """Every demo-district event the three services committed since ``since``."""
    found: dict[str, dict[str, Any]] = {}
    for service in ("profiles", "pathways", "assessment"):
        found.update(outbox_events(stack, service, since))
    return found
