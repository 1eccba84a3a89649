"""Gateway (issue 6): what the gateway adds to the cost of a request, and which upstream
transport to use.

One demo stack; the same operations at 32 connections, in the same run:

1. ``direct``: straight to the owning service with an internal token (no gateway);
2. ``gateway``: through the gateway with a bearer token (auth on: token verification, rate
   limit, route-level check, the object-level check against profiles, cached briefly, the
   audit entry), on its default transport (httpx's API on aiohttp, ``httpx-aiohttp``);
3. ``gateway_httpx``: a second gateway process on httpx's own transport
   (``GATEWAY_UPSTREAM_TRANSPORT=httpx``), same databases, same services.

Operations: ``GET /v1/learners/{id}/profile`` (profiles: names a learner, so the object-level
check and the audit run) and ``GET /v1/skills/{code}`` (pathways: no object named). The load
generator shares the 2 cores with the services; compare ratios within the run. Three interleaved
rounds of each variant; the ratios are the medians of the per-round ratios.
"""

import os
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx

from bench.common import LoadResult, load, running_stack
from pathwise_devstack.stack import Stack, free_port
from pathwise_devstack.testing import TEST_SECRET
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.demo import demo_id

GOAL = 0.67


def _second_gateway(stack: Stack, port: int, log_path: str) -> subprocess.Popen[bytes]:
    env = stack.config.process_env()
    env.update({"GATEWAY_PORT": str(port), "GATEWAY_UPSTREAM_TRANSPORT": "httpx"})
    cmd = [
        sys.executable, "-m", "uvicorn", "pathwise_gateway.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"the second gateway did not start; see {log_path}")


def _ratio(a: LoadResult, b: LoadResult) -> float:
    return round(a.rps / b.rps, 3) if b.rps else 0.0


def _median_ratio(a: list[LoadResult], b: list[LoadResult]) -> float:
    """The median of the per-round ratios (round i of ``a`` against round i of ``b``)."""
    return round(statistics.median(_ratio(x, y) for x, y in zip(a, b, strict=True)), 3)


def _median_run(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def main(quick: bool) -> dict[str, Any]:
    duration = 2.0 if quick else 3.0
    rounds = 1 if quick else 3
    learner = demo_id("learner", "learner-01")
    env = {"GATEWAY_RATE_LIMIT_USER": "100000000/minute"}
    result: dict[str, Any] = {
        "connections": 32, "seconds_per_run": duration, "rounds": rounds, "goal": GOAL,
    }  # fmt: skip
    with running_stack(env) as stack:
        gateway = stack.config.url("gateway")
        login = httpx.post(
            f"{gateway}/v1/auth/token", data={"grant_type": "password", "username": "teacher-01"}
        )
        login.raise_for_status()
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = httpx.get(f"{gateway}/v1/auth/me", headers=bearer).json()
        teacher = Principal(
            subject=me["subject"], kind="user", district_id=me["district_id"],
            roles=frozenset(me["roles"]), user_id=me["user_id"],
        )  # fmt: skip
        internal = {"Authorization": f"Bearer {issue_internal_token(teacher, TEST_SECRET, 3600)}"}
        port = free_port()
        second = _second_gateway(stack, port, os.path.join(stack.log_dir or "/tmp", "gw2.log"))
        try:
            targets = {
                "profile_read": ("profiles", f"/v1/learners/{learner}/profile"),
                "skill_read": ("pathways", "/v1/skills/3.NF.A.1"),
            }
            for name, (service, path) in targets.items():
                # Each path once before measuring, so route tables and caches are warm.
                for base in (gateway, f"http://127.0.0.1:{port}"):
                    httpx.get(f"{base}{path}", headers=bearer, timeout=10).raise_for_status()
                urls = {
                    "direct": (f"{stack.config.url(service)}{path}", internal),
                    "gateway": (f"{gateway}{path}", bearer),
                    "gateway_httpx": (f"http://127.0.0.1:{port}{path}", bearer),
                }
                # Interleaved rounds: the machine is shared, so a burst of someone else's work
                # hits one round of each variant rather than all of one variant.
                runs: dict[str, list[LoadResult]] = {k: [] for k in urls}
                for _ in range(rounds):
                    for variant, (url, headers) in urls.items():
                        runs[variant].append(load(url, headers=headers, duration=duration))
                best = {k: _median_run(v) for k, v in runs.items()}
                result[name] = {
                    "path": path,
                    **{k: v.as_dict() for k, v in best.items()},
                    "rounds_rps": {k: [round(r.rps, 1) for r in v] for k, v in runs.items()},
                    "gateway_over_direct": _median_ratio(runs["gateway"], runs["direct"]),
                    "gateway_httpx_over_direct": _median_ratio(
                        runs["gateway_httpx"], runs["direct"]
                    ),
                    "aiohttp_over_httpx_transport": _median_ratio(
                        runs["gateway"], runs["gateway_httpx"]
                    ),
                }
        finally:
            second.terminate()
            second.wait(timeout=15)
    return result
