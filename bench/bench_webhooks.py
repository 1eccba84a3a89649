"""Webhook deliveries: how many per second reach a loopback receiver, and how long an event takes
from the gateway's ingest to the receiver when healthy.

Real processes: the four services (uvicorn, fresh databases, loopback allowed for webhooks) and a
receiver of its own (aiohttp, in its own process) that verifies every signature with the
``standardwebhooks`` library and records when each ``webhook-id`` arrived. Events are published to
the gateway's ``POST /internal/events`` as a service relay does, for one endpoint that takes them
all.

- throughput: a backlog of events published in batches; deliveries/s is the count of distinct
  deliveries over the receiver's arrival window (first to last);
- latency: events published one at a time at a modest rate; each one's latency is its arrival at
  the receiver minus its ``occurred_at`` (set just before it is published), so it covers ingest,
  the dispatcher's pick-up, signing and the HTTP delivery. The outbox relay's hop before the
  ingest (``PATHWISE_OUTBOX_RELAY_INTERVAL_SECONDS``, 0.1 s) is not in it.
"""

import asyncio
import contextlib
import multiprocessing
import os
import tempfile
import time
import uuid
from datetime import datetime
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import percentile
from pathwise_devstack.stack import free_port
from pathwise_devstack.testing import TEST_SECRET, start_stack
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.events import new_event

DISTRICT = uuid.uuid4()
PUBLISH_BATCH = 500


# --- the receiver (its own process) -------------------------------------------------------------


def _receiver_main(port: int, secret: str, ready: MpEvent) -> None:
    from aiohttp import web
    from standardwebhooks import Webhook, WebhookVerificationError

    verifier = Webhook(secret)
    arrivals: dict[str, float] = {}
    latencies: list[float] = []
    stats = {"bad": 0, "duplicates": 0}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        try:
            payload = verifier.verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError):
            stats["bad"] += 1
            return web.Response(status=401)
        msg_id = request.headers["webhook-id"]
        if msg_id in arrivals:
            stats["duplicates"] += 1
        else:
            arrivals[msg_id] = now
            occurred = datetime.fromisoformat(payload["occurred_at"]).timestamp()
            latencies.append(now - occurred)
        return web.Response(text="ok")

    async def get_stats(request: web.Request) -> web.Response:
        times = sorted(arrivals.values())
        since = float(request.query.get("since", "inf"))
        after = [t for t in times if t >= since]
        return web.json_response(
            {
                "received": len(arrivals),
                "first": times[0] if times else None,
                "last": times[-1] if times else None,
                "received_since": len(after),
                "first_since": after[0] if after else None,
                "latencies": latencies,
                **stats,
            }
        )

    async def reset(_: web.Request) -> web.Response:
        arrivals.clear()
        latencies.clear()
        stats.update(bad=0, duplicates=0)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_get("/stats", get_stats)
    app.router.add_post("/reset", reset)

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(serve())


# --- the driver -------------------------------------------------------------------------------


def _client_headers() -> dict[str, str]:
    settings = GatewaySettings()
    principal = Principal(
        subject="client:bench", kind="client", district_id=DISTRICT,
        scopes=frozenset({"webhooks:manage"}),
    )  # fmt: skip
    issued = issue_access_token(
        principal,
        key=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=3600,
    )
    return {"Authorization": f"Bearer {issued.access_token}"}


def _system_headers() -> dict[str, str]:
    principal = Principal(subject="system:outbox-relay:bench", kind="system")
    return {"Authorization": f"Bearer {issue_internal_token(principal, TEST_SECRET, 3600)}"}


def _event() -> dict[str, Any]:
    learner = uuid.uuid4()
    return new_event(
        "learner.updated",
        district_id=DISTRICT,
        subject=f"learner/{learner}",
        data={"learner_id": str(learner), "changed": ["grade"]},
    ).model_dump(mode="json")


def _wait_for(receiver: httpx.Client, count: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    stats: dict[str, Any] = receiver.get("/stats").json()
    while stats["received"] < count and time.monotonic() < deadline:
        time.sleep(0.1)
        stats = receiver.get("/stats").json()
    return stats


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_cpu(database_url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL server process serving the gateway's database (the
    server runs on this machine); empty on SQLite, which works inside the gateway process."""
    if not database_url.startswith("postgresql"):
        return {}

    async def pids() -> list[int]:
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await connection.close()
        return [int(row["pid"]) for row in rows]

    cpu: dict[int, float] = {}
    for pid in asyncio.run(pids()):
        with contextlib.suppress(OSError):  # a connection closed meanwhile
            cpu[pid] = _cpu_seconds(pid)
    return cpu


def _throughput(
    gw: httpx.Client, receiver: httpx.Client, count: int, gateway_pid: int, database_url: str
) -> dict[str, Any]:
    receiver.post("/reset")
    headers = _system_headers()
    cpu_before = _cpu_seconds(gateway_pid)
    db_before = _backend_cpu(database_url)
    published = time.time()
    for start in range(0, count, PUBLISH_BATCH):
        batch = [_event() for _ in range(min(PUBLISH_BATCH, count - start))]
        answer = gw.post("/internal/events", json={"events": batch}, headers=headers)
        assert answer.status_code == 202, answer.text
    publish_seconds = time.time() - published
    published_all = time.time()
    stats = _wait_for(receiver, count, timeout=120)
    cpu = _cpu_seconds(gateway_pid) - cpu_before
    db_after = _backend_cpu(database_url)
    db_cpu = sum(seconds - db_before.get(pid, 0.0) for pid, seconds in db_after.items())
    window = (stats["last"] - stats["first"]) if stats["received"] > 1 else 0.0
    # After the last batch is in, the dispatcher drains the rest with no ingest beside it.
    drained = receiver.get("/stats", params={"since": published_all}).json()
    drain_window = stats["last"] - published_all
    return {
        "events": count,
        "received": stats["received"],
        "duplicates": stats["duplicates"],
        "bad_signatures": stats["bad"],
        "publish_seconds": round(publish_seconds, 2),
        "arrival_window_seconds": round(window, 2),
        "deliveries_per_second": round(stats["received"] / window, 1) if window else None,
        "end_to_end_per_second": round(stats["received"] / (stats["last"] - published), 1),
        # The machine is shared: CPU seconds the gateway spent (ingest and deliveries) say more
        # about its cost than wall-clock rates do.
        "gateway_cpu_seconds": round(cpu, 2),
        "deliveries_per_gateway_cpu_second": round(stats["received"] / cpu, 1) if cpu else None,
        # PostgreSQL's own work for the gateway (its server processes; none on SQLite): it
        # competes for the same two cores.
        "database_cpu_seconds": round(db_cpu, 2) if db_after else None,
        "drained_after_publishing": drained["received_since"],
        "drain_per_second": round(drained["received_since"] / drain_window, 1)
        if drained["received_since"] > 100 and drain_window > 0
        else None,
    }


def _latency(gw: httpx.Client, receiver: httpx.Client, count: int, rate: float) -> dict[str, Any]:
    receiver.post("/reset")
    headers = _system_headers()
    gap = 1.0 / rate
    next_at = time.monotonic()
    for _ in range(count):
        answer = gw.post("/internal/events", json=_event(), headers=headers)
        assert answer.status_code == 202, answer.text
        next_at += gap
        time.sleep(max(0.0, next_at - time.monotonic()))
    stats = _wait_for(receiver, count, timeout=60)
    ms = [x * 1000 for x in stats["latencies"]]
    return {
        "events": count,
        "rate_per_second": rate,
        "received": stats["received"],
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
    }


def main(quick: bool) -> dict[str, Any]:
    backlog = 3000 if quick else 20000
    latency_events = 200 if quick else 1000
    rate = 50.0 if quick else 100.0
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    # The endpoint's secret is known only after it is created: the receiver starts after that.
    env = {"GATEWAY_WEBHOOKS_ALLOW_LOOPBACK": "true", "PATHWISE_LOG_LEVEL": "WARNING"}
    with (
        tempfile.TemporaryDirectory(prefix="pathwise-bench-") as tmp,
        start_stack(Path(tmp), seed=False, env=env) as stack,
        httpx.Client(base_url=stack.config.url("gateway"), timeout=60) as gw,
    ):
        created = gw.post(
            "/v1/webhooks",
            json={"url": f"http://127.0.0.1:{port}/hook", "description": "bench"},
            headers=_client_headers(),
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        receiver_process = ctx.Process(
            target=_receiver_main, args=(port, secret, ready), daemon=True
        )
        receiver_process.start()
        try:
            if not ready.wait(30):
                raise RuntimeError("the bench receiver did not start")
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as receiver:
                # Warm-up: connections, caches, the first SQLite pages.
                gateway_pid = stack.processes["gateway"].pid
                database_url = stack.config.database_urls["gateway"]
                _throughput(gw, receiver, 500, gateway_pid, database_url)
                throughput = _throughput(gw, receiver, backlog, gateway_pid, database_url)
                latency = _latency(gw, receiver, latency_events, rate)
        finally:
            receiver_process.terminate()
            receiver_process.join(10)
    return {
        "backend": os.environ.get("PATHWISE_TEST_DATABASE", "sqlite"),
        "throughput": throughput,
        "latency_when_healthy": latency,
        "goal": {"deliveries_per_second": 1000, "p99_ms": 1000},
    }
