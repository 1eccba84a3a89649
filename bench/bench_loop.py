"""The core loop against a minimal app (issue 13): answers, profile reads, the aggregates and
``/next`` of one stack, side by side in the same run with a minimal FastAPI + pydantic app on the
same database server (``bench/anchor.py``: an answer = one locked read and one insert in a
transaction; a profile read = one primary-key read).

Load: wrk (``-t1 -c32 --latency``), its Lua script cycling through prepared requests (each with
its own path, bearer token and body), counting statuses in a ``response`` hook; the counts, the
exact p50/p99 and wrk's own summary are read back from its output. Every answer is a real first
answer (a learner's attempts are prepared ahead, topped up before each run from the rate seen so
far; ``ran_out`` says when a run still got past them and re-answered, which the service treats as
a cheap no-op). Paths, in each round, in this order:

- ``anchor_answer``: the anchor's answer (201);
- ``answer_gateway``: ``PUT /v1/attempts/{id}/responses/{item}`` through the gateway, each of
  105 learners with their own token, several 10-item attempts each, learners answering at once
  (item-major order: the 32 requests in flight belong to different learners);
- ``answer_direct``: the same straight to the assessment service, each learner's own internal
  token (what the gateway forwards, without the gateway);
- ``anchor_answer_proxied`` / ``anchor_read_proxied``: the same behind a minimal proxy
  (``bench.anchor.create_proxy_app``: a catch-all passing each request on with aiohttp, no
  checks): what a gateway hop costs before the gateway does anything;
- ``anchor_read``: the anchor's primary-key read;
- ``profile_gateway`` / ``profile_direct``: ``GET /v1/learners/{id}/profile`` as the learners'
  teacher, through the gateway and straight to profiles;
- ``overview_gateway``: ``GET /v1/learners/{id}/overview`` as the teacher (``degraded`` answers
  count as errors);
- ``dashboard_gateway``: ``GET /v1/classes/{id}/dashboard`` of a 35-learner class;
- ``next_gateway``: ``POST /v1/attempts/{id}/next`` on fresh adaptive attempts (the first call
  chooses from the bank), through the gateway with the learner's token;
- ``class_check``: 35 learners of one class, each with their own token, take a 10-item check at
  once through the gateway (start, 10 answers, finish; an aiohttp driver, not wrk).

Rounds alternate the anchor and the real paths (the machine is shared and noisy); each path's
numbers are its median round and each ratio the median of the per-round ratios. The backend follows
``PATHWISE_TEST_DATABASE`` like the tests (one backend per run). ``--quick``: one short round.
Where the CPU goes: each run also takes every process's CPU time (each service, the anchor, its
proxy and, on PostgreSQL, the local server's processes) from the start of wrk until the stack is
idle again, less its idle use, per answered request (:class:`CpuMeter`; a second table). An
answer's events are relayed and handled after it is answered; they count. ``--no-events`` turns
every outbox relay off: the same answers without the work their events set off elsewhere.
``--only dashboard_gateway`` (names above, comma-separated): only those paths, with the anchor
each is compared to; ``class_check`` names the class check. The overview and dashboard summarize
the learners' history, which a full run's answer paths write: without either answer path, each
learner first answers ``SEED_ANSWERS`` items straight to the service (not measured).
"""

import asyncio
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from bench.anchor import POOL_SIZE as ANCHOR_POOL_SIZE
from bench.anchor import prepare as prepare_anchor
from bench.common import SERVICE_POOL_SIZE, percentile, running_stack
from pathwise_devstack.stack import Stack, free_port
from pathwise_devstack.testing import (
    TEST_SECRET,
    backend,
    create_test_database,
    drop_test_database,
    make_principal,
)
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.demo import demo_id

WRK = "/usr/bin/wrk"
CONNECTIONS = 32
DISTRICT = demo_id("district", "riverside")
SCHOOL = demo_id("school", "riverside-elementary")
DEMO_CLASS = demo_id("class", "grade3-math")
TEACHER = "teacher-01"
CLASSES = 3
CLASS_SIZE = 35
ITEMS = 10
SKILL = "3.OA.C.7"
CHOICES = [{"id": "a", "text": "54"}, {"id": "b", "text": "56"}, {"id": "c", "text": "63"}]
ROOT = Path(__file__).resolve().parents[1]

# The ratios the issue asks for: name -> (numerator path, denominator path).
RATIOS: dict[str, tuple[str, str]] = {
    "answer_gateway/anchor_answer": ("answer_gateway", "anchor_answer"),
    "answer_direct/anchor_answer": ("answer_direct", "anchor_answer"),
    "profile_gateway/anchor_read": ("profile_gateway", "anchor_read"),
    "profile_direct/anchor_read": ("profile_direct", "anchor_read"),
    "answer_gateway/answer_direct": ("answer_gateway", "answer_direct"),
    "anchor_answer_proxied/anchor_answer": ("anchor_answer_proxied", "anchor_answer"),
    "anchor_read_proxied/anchor_read": ("anchor_read_proxied", "anchor_read"),
    "profile_gateway/profile_direct": ("profile_gateway", "profile_direct"),
    "overview_gateway/anchor_read": ("overview_gateway", "anchor_read"),
    "dashboard_gateway/anchor_read": ("dashboard_gateway", "anchor_read"),
    "next_gateway/anchor_answer": ("next_gateway", "anchor_answer"),
}
# The column "ratio" of the table: each path against its anchor.
TABLE_RATIO = {
    "answer_gateway": "anchor_answer", "answer_direct": "anchor_answer",
    "anchor_answer": "anchor_answer", "anchor_answer_proxied": "anchor_answer",
    "anchor_read_proxied": "anchor_read", "profile_gateway": "anchor_read",
    "profile_direct": "anchor_read", "anchor_read": "anchor_read",
    "overview_gateway": "anchor_read", "dashboard_gateway": "anchor_read",
    "next_gateway": "anchor_answer",
}  # fmt: skip
LABELS = {
    "answer_gateway": "answer, through the gateway, each learner's own token",
    "answer_direct": "answer, straight to the assessment service",
    "anchor_answer": "minimal answer endpoint",
    "anchor_answer_proxied": "minimal answer endpoint behind a minimal proxy (the hop alone)",
    "profile_gateway": "profile read, through the gateway (teacher)",
    "profile_direct": "profile read, straight to profiles",
    "anchor_read": "minimal primary-key read",
    "anchor_read_proxied": "minimal primary-key read behind a minimal proxy (the hop alone)",
    "overview_gateway": "learner overview, through the gateway (teacher)",
    "dashboard_gateway": "class dashboard (35 learners), through the gateway",
    "next_gateway": "adaptive /next (fresh attempt), through the gateway",
}


CLASS_CHECK = "class_check"
ANSWER_PATHS = {"answer_gateway", "answer_direct"}
HISTORY_READS = {"overview_gateway", "dashboard_gateway"}
# About what a full run's answer paths leave per learner before the last round's reads (warm-up
# and three rounds of both at the quiet machine's rates: some 5,600 answers over 105 learners).
SEED_ANSWERS = 60


def selected(only: Sequence[str] | None) -> tuple[list[str], bool]:
    """The paths to measure, in the usual order, each with the anchor its ratio is taken
    against; and whether the class check runs. ``None``: everything."""
    if only is None:
        return list(LABELS), True
    unknown = sorted(set(only) - set(LABELS) - {CLASS_CHECK})
    if unknown:
        raise ValueError(f"unknown paths {unknown}; choose from {[*LABELS, CLASS_CHECK]}")
    wanted = set(only) | {TABLE_RATIO[name] for name in only if name in TABLE_RATIO}
    return [name for name in LABELS if name in wanted], CLASS_CHECK in only


# -- wrk: the Lua script, running it, reading its output -------------------------------------

# One thread (-t1), so one Lua state issues every request: a counter walks the prepared list
# (wrapping when it runs out; ``issued`` tells). Statuses are counted per thread and read back in
# ``done`` through the thread objects kept by ``setup``.
LUA = r"""
local reqs = {}
local i = 0
prepared = 0
statuses = {}
problems = {}
issued = 0
degraded = 0

function init(args)
  for line in io.lines(args[1]) do
    local m, p, a, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local h = {}
    if a ~= "" then h["Authorization"] = a end
    if b == "" then
      b = nil
    else
      h["Content-Type"] = "application/json"
    end
    prepared = prepared + 1
    reqs[prepared] = wrk.format(m, p, h, b)
  end
end

function request()
  issued = issued + 1
  i = i + 1
  if i > prepared then i = 1 end
  return reqs[i]
end

function response(status, headers, body)
  local k = tostring(status)
  statuses[k] = (statuses[k] or 0) + 1
  local part = body and body:match('"degraded":%[%s*"([%w_]+)"')
  if part then
    -- Which part was missing (the first named): the answer is counted as an error.
    degraded = degraded + 1
    local p = "degraded " .. part
    problems[p] = (problems[p] or 0) + 1
  end
  if status >= 400 then
    -- Which problem: the last segment of the problem+json "type" (its slug).
    local slug = body and body:match('"type":"[^"]*/([%w%-]+)"') or "?"
    local p = k .. " " .. slug
    problems[p] = (problems[p] or 0) + 1
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local total_issued, total_prepared, total_degraded, counts, kinds = 0, 0, 0, {}, {}
  for _, t in ipairs(threads) do
    total_issued = total_issued + t:get("issued")
    total_prepared = total_prepared + t:get("prepared")
    total_degraded = total_degraded + t:get("degraded")
    for k, v in pairs(t:get("statuses")) do counts[k] = (counts[k] or 0) + v end
    for k, v in pairs(t:get("problems")) do kinds[k] = (kinds[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, k .. "=" .. v) end
  io.write("BENCH statuses ", table.concat(parts, ","), "\n")
  local named = {}
  for k, v in pairs(kinds) do table.insert(named, k .. "=" .. v) end
  io.write("BENCH problems ", table.concat(named, ","), "\n")
  io.write(string.format("BENCH issued=%d prepared=%d degraded=%d\n",
    total_issued, total_prepared, total_degraded))
  io.write(string.format("BENCH latency_us p50=%d p99=%d max=%d\n",
    latency:percentile(50), latency:percentile(99), latency.max))
  local e = summary.errors
  io.write(string.format(
    "BENCH summary requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class Req:
    """One prepared request: method, path (with query), bearer token (or none), JSON body."""

    method: str
    path: str
    token: str = ""
    body: Any = None

    def line(self) -> str:
        body = "" if self.body is None else json.dumps(self.body, separators=(",", ":"))
        auth = f"Bearer {self.token}" if self.token else ""
        return f"{self.method}\t{self.path}\t{auth}\t{body}"


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    # "503 service-unavailable" → count: each error answer's status and problem slug.
    problems: dict[str, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    degraded: int = 0
    issued: int = 0
    prepared: int = 0
    # CPU per answered request, in ms, by process group (see :class:`CpuMeter`).
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        """Answers outside 2xx/3xx, socket errors (connect/read/write/timeout), and aggregate
        answers that came back degraded (200, but a part missing)."""
        bad = sum(v for k, v in self.statuses.items() if k >= 400)
        return max(bad, self.non_2xx_3xx) + self.socket_errors + self.degraded

    @property
    def ran_out(self) -> bool:
        return self.prepared > 0 and self.issued > self.prepared

    def as_dict(self) -> dict[str, Any]:
        out = {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}
        out["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        out["errors"] = self.errors
        out["ran_out"] = self.ran_out
        return out


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse_wrk(text: str) -> WrkResult:
    """wrk's ``--latency`` output, and the ``BENCH`` lines of our ``done`` hook when present
    (those win: exact percentiles and the status counts)."""
    out = WrkResult()
    if m := re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text):
        out.requests = int(m.group(1))
        out.seconds = _ms(m.group(2), m.group(3)) / 1000
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        out.rps = float(m.group(1))
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M):
            setattr(out, attr, _ms(m.group(1), m.group(2)))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        out.non_2xx_3xx = int(m.group(1))
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    ):
        out.socket_errors = sum(int(g) for g in m.groups())
    if m := re.search(r"^BENCH statuses (.*)$", text, re.M):
        pairs = (p.split("=") for p in m.group(1).split(",") if p)
        out.statuses = {int(k): int(v) for k, v in pairs}
    if m := re.search(r"^BENCH problems (.*)$", text, re.M):
        pairs = (p.rsplit("=", 1) for p in m.group(1).split(",") if p)
        out.problems = {k: int(v) for k, v in pairs}
    if m := re.search(r"^BENCH issued=(\d+) prepared=(\d+) degraded=(\d+)", text, re.M):
        out.issued, out.prepared, out.degraded = (int(g) for g in m.groups())
    if m := re.search(r"^BENCH latency_us p50=(\d+) p99=(\d+) max=(\d+)", text, re.M):
        out.p50_ms, out.p99_ms, out.max_ms = (int(g) / 1000 for g in m.groups())
    if m := re.search(
        r"^BENCH summary requests=(\d+) duration_us=(\d+) connect=(\d+) read=(\d+) "
        r"write=(\d+) status=(\d+) timeout=(\d+)", text, re.M,
    ):  # fmt: skip
        out.requests = int(m.group(1))
        out.seconds = int(m.group(2)) / 1e6
        out.rps = out.requests / out.seconds if out.seconds else 0.0
        out.socket_errors = sum(int(m.group(k)) for k in (3, 4, 5, 7))
        out.non_2xx_3xx = int(m.group(6))
    return out


def run_wrk(base_url: str, reqs: Sequence[Req], duration: float, workdir: Path) -> WrkResult:
    """wrk against ``base_url`` for ``duration`` seconds, cycling through ``reqs`` in order."""
    script = workdir / "cycle.lua"
    if not script.exists():
        script.write_text(LUA)
    data = workdir / f"requests-{uuid.uuid4().hex[:8]}.tsv"
    data.write_text("\n".join(r.line() for r in reqs) + "\n")
    try:
        cmd = [
            WRK, "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--latency",
            "--timeout", "30s", "-s", str(script), base_url, "--", str(data),
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 90)
    finally:
        data.unlink(missing_ok=True)
    if done.returncode != 0 or "BENCH summary" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-500:]}")
    return parse_wrk(done.stdout)


# -- results: medians, ratios, the table -----------------------------------------------------


def _median_run(runs: list[WrkResult]) -> WrkResult:
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def median_ratio(a: list[WrkResult], b: list[WrkResult]) -> float:
    """The median of the per-round ratios of req/s (round i of ``a`` over round i of ``b``)."""
    per_round = [x.rps / y.rps for x, y in zip(a, b, strict=False) if y.rps]
    return round(statistics.median(per_round), 3) if per_round else 0.0


def summarize(runs: Mapping[str, list[WrkResult]]) -> dict[str, Any]:
    """Per path: the median round (with every round's req/s, errors summed over the rounds and
    p99/p50); then the ratios of ``RATIOS`` whose two paths ran."""
    paths: dict[str, Any] = {}
    for name, rounds in runs.items():
        if not rounds:
            continue
        mid = _median_run(rounds)
        paths[name] = {
            **mid.as_dict(),
            "errors_all_rounds": sum(r.errors for r in rounds),
            "problems_all_rounds": dict(sum((Counter(r.problems) for r in rounds), Counter())),
            "requests_all_rounds": sum(r.requests for r in rounds),
            "ran_out_any_round": any(r.ran_out for r in rounds),
            "rounds_rps": [round(r.rps, 1) for r in rounds],
            "p99_over_p50": round(mid.p99_ms / mid.p50_ms, 2) if mid.p50_ms else 0.0,
            "cpu_ms_per_request": median_cpu(rounds),
        }
    ratios = {
        name: median_ratio(runs[a], runs[b])
        for name, (a, b) in RATIOS.items()
        if runs.get(a) and runs.get(b)
    }
    return {"paths": paths, "ratios": ratios}


def median_cpu(rounds: Sequence[WrkResult]) -> dict[str, float]:
    """Each process group's median over the rounds of its CPU per request (ms); the groups that
    did no work on the path are left out."""
    names = {name for r in rounds for name in r.cpu_ms}
    medians = {
        name: round(statistics.median(r.cpu_ms.get(name, 0.0) for r in rounds), 3)
        for name in sorted(names)
    }
    return {name: ms for name, ms in medians.items() if ms >= CPU_SHOWN_MS}


# A group under this (ms per request) is left out of the CPU table: idle noise, not the path's.
CPU_SHOWN_MS = 0.05
CPU_COLUMNS = (
    "gateway",
    "profiles",
    "pathways",
    "assessment",
    "anchor proxy",
    "anchor",
    "postgres",
)


def cpu_table(summary: Mapping[str, Any]) -> str:
    """Where each path's CPU goes: ms per request by process group (the median round's of each),
    and their sum; the machine has ``os.cpu_count()`` cores to share among them."""
    paths = summary["paths"]
    columns = [
        c for c in CPU_COLUMNS if any(c in p.get("cpu_ms_per_request", {}) for p in paths.values())
    ]
    if not columns:
        return ""
    lines = [
        "| path (CPU ms per request) | " + " | ".join(columns) + " | total |",
        "|---|" + "---|" * (len(columns) + 1),
    ]
    for name in LABELS:
        cpu = paths.get(name, {}).get("cpu_ms_per_request")
        if not cpu:
            continue
        cells = [f"{cpu[c]:.2f}" if c in cpu else "" for c in columns]
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + f" | {sum(cpu.values()):.2f} |")
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"


def markdown_table(summary: Mapping[str, Any], runs: Mapping[str, list[WrkResult]]) -> str:
    """The table of docs/benchmarks.md: path | req/s | p50 | p99 | p99/p50 | errors | ratio."""
    lines = [
        "| path | req/s | p50 | p99 | p99/p50 | errors | ratio to the minimal app |",
        "|---|---|---|---|---|---|---|",
    ]
    paths = summary["paths"]
    for name in LABELS:
        if name not in paths:
            continue
        p = paths[name]
        anchor = TABLE_RATIO[name]
        if name == anchor:
            ratio = "1"
        elif runs.get(name) and runs.get(anchor):
            ratio = f"{median_ratio(runs[name], runs[anchor]):.3f}"
        else:
            ratio = "-"
        errors = f"{p['errors_all_rounds']} of {p['requests_all_rounds']:,}"
        named = ", ".join(f"{n} {k}" for k, n in sorted(p.get("problems_all_rounds", {}).items()))
        if named:
            errors += f": {named}"
        if p["ran_out_any_round"]:
            errors += " (ran out of prepared answers)"
        lines.append(
            f"| {LABELS[name]} | {_num(p['rps'])} | {_num(p['p50_ms'])} ms | "
            f"{_num(p['p99_ms'])} ms | {p['p99_over_p50']:.1f} | {errors} | {ratio} |"
        )
    return "\n".join(lines)


# -- the stack's side: roster, tokens, checks, attempts --------------------------------------


def _internal(principal: Principal) -> str:
    return issue_internal_token(principal, TEST_SECRET, 3600)


async def _call(
    session: aiohttp.ClientSession, method: str, url: str, token: str, body: Any = None,
    form: Mapping[str, str] | None = None,
) -> Any:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(method, url, json=body, data=form, headers=headers) as response:
        payload = await response.json(content_type=None)
        if response.status >= 400:
            raise RuntimeError(f"{method} {url}: {response.status} {payload}")
        return payload


async def _bounded(jobs: Sequence[Any], limit: int = 8) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(j) for j in jobs)))


@dataclass
class Learner:
    id: uuid.UUID
    username: str
    token: str = ""  # the gateway's access token (dev login)
    internal: str = ""  # an internal token of the same principal, for direct calls


@dataclass
class World:
    """What the real paths need: a teacher, 3 classes of 35 learners with tokens, a 10-item check,
    an adaptive assessment over the demo skills."""

    teacher_token: str
    teacher_internal: str
    classes: list[uuid.UUID]
    learners: list[Learner]
    check_id: str
    item_ids: list[str]
    adaptive_id: str
    demo_learners: list[uuid.UUID]


async def _build_world(stack: Stack) -> World:
    gateway, profiles = stack.config.url("gateway"), stack.config.url("profiles")
    assessment = stack.config.url("assessment")
    admin = _internal(make_principal(DISTRICT, roles=["district_admin"]))
    async with aiohttp.ClientSession() as s:

        async def login(username: str) -> str:
            form = {"grant_type": "password", "username": username}
            token: str = (await _call(s, "POST", f"{gateway}/v1/auth/token", "", form=form))[
                "access_token"
            ]
            return token

        teacher_token = await login(TEACHER)
        me = await _call(s, "GET", f"{gateway}/v1/auth/me", teacher_token)
        teacher = Principal(
            subject=me["subject"], kind="user", district_id=me["district_id"],
            roles=frozenset(me["roles"]), user_id=me["user_id"],
        )  # fmt: skip
        demo = await _call(s, "GET", f"{profiles}/v1/classes/{DEMO_CLASS}", admin)
        classes = []
        for c in range(CLASSES):
            made = await _call(s, "POST", f"{profiles}/v1/classes", admin, {
                "title": f"Bench class {c + 1}", "school_id": str(SCHOOL),
                "course_id": demo["course_id"], "session_id": demo["session_id"],
                "class_code": f"BENCH-{c + 1}", "grades": ["03"],
            })  # fmt: skip
            classes.append(uuid.UUID(made["id"]))
            await _call(s, "POST", f"{profiles}/v1/classes/{made['id']}/enrollments", admin,
                        {"user_id": str(teacher.user_id), "role": "teacher", "primary": True})  # fmt: skip

        async def add_learner(n: int) -> Learner:
            username = f"bench-learner-{n:03d}"
            user = await _call(s, "POST", f"{profiles}/v1/users", admin, {
                "username": username, "given_name": f"Bench{n}", "family_name": "Learner",
                "roles": ["student"], "grade": "03", "school_ids": [str(SCHOOL)],
            })  # fmt: skip
            await _call(s, "POST", f"{profiles}/v1/classes/{classes[n % CLASSES]}/enrollments",
                        admin, {"user_id": user["id"], "role": "student"})  # fmt: skip
            lid = uuid.UUID(user["id"])
            principal = make_principal(DISTRICT, roles=["student"], user_id=lid)
            return Learner(lid, username, await login(username), _internal(principal))

        learners = await _bounded([add_learner(n) for n in range(CLASSES * CLASS_SIZE)])
        tinternal = _internal(teacher)
        item_ids = []
        for n in range(ITEMS):
            item = await _call(s, "POST", f"{assessment}/v1/items", tinternal, {
                "stem": f"What is 8 x 7? ({n})", "skill_codes": [SKILL],
                "difficulty": -1.0 + n * 0.2,
                "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"},
            })  # fmt: skip
            item_ids.append(item["id"])
        check = await _call(s, "POST", f"{assessment}/v1/assessments", tinternal, {
            "kind": "skill_check", "title": "Bench check", "skill_codes": [SKILL],
            "item_ids": item_ids,
        })  # fmt: skip
        adaptive = await _call(s, "POST", f"{assessment}/v1/assessments", tinternal, {
            "kind": "adaptive", "title": "Bench adaptive", "skill_codes": [SKILL],
            "max_items": 10,
        })  # fmt: skip
    return World(
        teacher_token=teacher_token, teacher_internal=tinternal, classes=classes,
        learners=learners, check_id=check["id"], item_ids=item_ids, adaptive_id=adaptive["id"],
        demo_learners=[demo_id("learner", f"learner-{n:02d}") for n in range(1, 11)],
    )  # fmt: skip


async def _start_attempts(
    assessment: str, assessment_id: str, learners: Sequence[Learner]
) -> list[str]:
    """One new attempt per learner (each started by the learner, straight to the service)."""
    async with aiohttp.ClientSession() as s:
        started = await _bounded([
            _call(s, "POST", f"{assessment}/v1/assessments/{assessment_id}/attempts",
                  lrn.internal, {"learner_id": str(lrn.id)})
            for lrn in learners
        ])  # fmt: skip
    return [a["id"] for a in started]


class AnswerPool:
    """Unanswered (attempt, item) pairs of one path, in item-major batches: each batch is one
    new attempt per learner, so the requests in flight belong to different learners and each
    learner moves through several attempts over the run."""

    def __init__(self, stack: Stack, world: World, direct: bool) -> None:
        self.assessment = stack.config.url("assessment")
        self.world = world
        self.direct = direct
        self.ready: list[Req] = []
        self.answer = 0

    def top_up(self, wanted: int) -> None:
        learners = self.world.learners
        while len(self.ready) < wanted:
            attempts = asyncio.run(_start_attempts(self.assessment, self.world.check_id, learners))
            for item in self.world.item_ids:
                for lrn, attempt in zip(learners, attempts, strict=True):
                    self.answer += 1
                    choice = "b" if self.answer % 10 < 7 else "a"  # 70% right
                    token = lrn.internal if self.direct else lrn.token
                    self.ready.append(Req("PUT", f"/v1/attempts/{attempt}/responses/{item}",
                                          token, {"answer": {"choice": choice}}))  # fmt: skip

    def take(self, wanted: int) -> list[Req]:
        self.top_up(wanted)
        taken, self.ready = self.ready[:wanted], self.ready[wanted:]
        return taken

    def give_back(self, reqs: list[Req], used: int) -> None:
        """The requests a run did not reach stay unanswered: keep them, in order."""
        self.ready = reqs[used:] + self.ready


class NextPool:
    """Fresh adaptive attempts: the first ``/next`` of each chooses from the bank."""

    def __init__(self, stack: Stack, world: World) -> None:
        self.assessment = stack.config.url("assessment")
        self.world = world
        self.ready: list[Req] = []

    def take(self, wanted: int) -> list[Req]:
        learners = self.world.learners
        while len(self.ready) < wanted:
            attempts = asyncio.run(
                _start_attempts(self.assessment, self.world.adaptive_id, learners)
            )
            self.ready += [Req("POST", f"/v1/attempts/{a}/next", lrn.token)
                           for lrn, a in zip(learners, attempts, strict=True)]  # fmt: skip
        taken, self.ready = self.ready[:wanted], self.ready[wanted:]
        return taken

    def give_back(self, reqs: list[Req], used: int) -> None:
        self.ready = reqs[used:] + self.ready


async def _seed(assessment: str, reqs: Sequence[Req]) -> None:
    """Answer ``reqs`` straight to the service, a few at a time; a 503 (SQLite's one writer
    busy) is retried after a pause, anything else >= 400 fails the run."""
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(connector=connector) as s:

        async def answer(r: Req) -> None:
            headers = {"Authorization": f"Bearer {r.token}"}
            for pause in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 0.0):
                async with s.request(
                    r.method, f"{assessment}{r.path}", json=r.body, headers=headers
                ) as response:
                    body = await response.read()
                    if response.status < 400:
                        return
                    if response.status != 503 or not pause:
                        raise RuntimeError(f"{r.method} {r.path}: {response.status} {body!r}")
                await asyncio.sleep(pause)

        await _bounded([answer(r) for r in reqs], 8)


# -- the class of 35 taking a check at once --------------------------------------------------


async def _class_check(gateway: str, world: World, learners: Sequence[Learner]) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}

    def failed(what: str, status: int) -> None:
        key = f"{what} {status}"
        errors[key] = errors.get(key, 0) + 1

    connector = aiohttp.TCPConnector(limit=len(learners))
    async with aiohttp.ClientSession(connector=connector) as s:

        async def take(lrn: Learner) -> None:
            headers = {"Authorization": f"Bearer {lrn.token}"}
            async with s.post(f"{gateway}/v1/assessments/{world.check_id}/attempts",
                              json={"learner_id": str(lrn.id)}, headers=headers) as r:  # fmt: skip
                body = await r.json(content_type=None)
                if r.status != 201:
                    failed("start", r.status)
                    return
            attempt = body["id"]
            for n, item in enumerate(world.item_ids):
                started = time.perf_counter()
                async with s.put(f"{gateway}/v1/attempts/{attempt}/responses/{item}",
                                 json={"answer": {"choice": "b" if n % 3 else "a"}},
                                 headers=headers) as r:  # fmt: skip
                    await r.read()
                    latencies.append((time.perf_counter() - started) * 1000)
                    if r.status != 200:
                        failed("answer", r.status)
            async with s.post(f"{gateway}/v1/attempts/{attempt}/finish", headers=headers) as r:
                await r.read()
                if r.status != 200:
                    failed("finish", r.status)

        started = time.perf_counter()
        await asyncio.gather(*(take(lrn) for lrn in learners))
        wall = time.perf_counter() - started
    return {
        "learners": len(learners), "items": len(world.item_ids), "wall_s": round(wall, 2),
        "answers": len(latencies), "answers_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "errors": sum(errors.values()), "error_kinds": errors,
    }  # fmt: skip


# -- the anchor process ----------------------------------------------------------------------


@dataclass
class Anchor:
    url: str
    proxied_url: str  # the same app behind the minimal proxy
    pids: list[int]
    answers: list[Req]
    pool: int | None  # PostgreSQL: the anchor's connections (None: SQLite)


def _start_app(
    factory: str, env: Mapping[str, str], log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m uvicorn <factory> --factory`` on a free port, once its ``/docs`` answers."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/docs", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"{factory} did not start: {log}")
        time.sleep(0.2)


# The stack's four processes, each with the production pool.
SERVICES_POOLS = 4 * SERVICE_POOL_SIZE


async def _anchor_pool(url: str) -> int:
    """The anchor's pool on PostgreSQL: the services' size, or what the server's connection limit
    leaves beside the stack's four pools (with a few for the benchmark's own connections). Over
    the limit (80 + 20 on a default server's 100), a stack pool growing late would be refused
    ("too many clients") and answer 503s that look like the stack's own failure."""
    conn = await asyncpg.connect(url)
    try:
        limit = int(await conn.fetchval("SHOW max_connections"))
        reserved = int(await conn.fetchval("SHOW superuser_reserved_connections"))
    finally:
        await conn.close()
    return max(2, min(ANCHOR_POOL_SIZE, limit - reserved - SERVICES_POOLS - 5))


@contextmanager
def _anchor(workdir: Path, learners: Sequence[uuid.UUID]) -> Iterator[Anchor]:
    """The anchor app on its own database of the stack's kind, and the minimal proxy in front of
    it; the answer requests to cycle through (anchor attempts x random item ids)."""
    db = create_test_database("anchor", workdir)
    attempts = [uuid.uuid4() for _ in range(1000)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(prepare_anchor(db.url, attempts, learners))
        env = {**os.environ, "ANCHOR_DATABASE_URL": db.url}
        pool = asyncio.run(_anchor_pool(db.url)) if db.url.startswith("postgresql") else None
        if pool is not None:
            env["ANCHOR_POOL_SIZE"] = str(pool)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        app, url = _start_app("bench.anchor:create_app", env, workdir / "anchor.log")
        procs.append(app)
        proxy, proxied = _start_app(
            "bench.anchor:create_proxy_app", {**env, "ANCHOR_UPSTREAM": url},
            workdir / "anchor-proxy.log",
        )  # fmt: skip
        procs.append(proxy)
        answers = [
            Req("PUT", f"/attempts/{attempts[n % len(attempts)]}/responses/{uuid.uuid4()}", "",
                {"answer": {"choice": "b" if n % 10 < 7 else "a"}})
            for n in range(30_000)
        ]  # fmt: skip
        yield Anchor(url, proxied, [p.pid for p in procs], answers, pool)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)
        drop_test_database(db)


# -- the run ---------------------------------------------------------------------------------


def _cpu_seconds(pids: Sequence[int]) -> float:
    return sum(_cpu_of(pid) for pid in pids)


def _cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (user + system); 0 for one that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (its backends included), when it runs here;
    none without ``pgrep`` (the table then has no PostgreSQL column)."""
    if shutil.which("pgrep") is None:
        return []
    found = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


class CpuMeter:
    """Where a path's CPU goes: each process group's CPU seconds (a service, the anchor, its
    proxy, the PostgreSQL server) from the start of a run until the stack is idle again (so the
    events an answer set off, relayed and handled after wrk stopped, count), less the group's
    idle use over that time, per request wrk saw answered. PostgreSQL's backends come and go:
    each snapshot looks for them again, and a backend that ended within the run loses its share
    (the pools keep theirs open, so that is rare)."""

    def __init__(self, groups: Mapping[str, Sequence[int]], postgres: bool) -> None:
        self.groups = {name: list(pids) for name, pids in groups.items()}
        self.postgres = postgres
        self.idle: dict[str, float] = {}

    def snapshot(self) -> tuple[float, dict[str, dict[int, float]]]:
        groups = dict(self.groups)
        if self.postgres:
            groups["postgres"] = postgres_pids()
        return time.monotonic(), {
            name: {pid: _cpu_of(pid) for pid in pids} for name, pids in groups.items()
        }

    @staticmethod
    def _used(before: Mapping[int, float], after: Mapping[int, float]) -> float:
        # Never below 0: a process that is gone reads as 0 s.
        return sum(max(after[pid] - before.get(pid, 0.0), 0.0) for pid in after)

    def measure_idle(self, seconds: float = 2.0) -> float:
        """Each group's idle use (cores) over ``seconds``; the total."""
        start, before = self.snapshot()
        time.sleep(seconds)
        end, after = self.snapshot()
        self.idle = {
            name: self._used(before.get(name, {}), used) / (end - start)
            for name, used in after.items()
        }
        return sum(self.idle.values())

    def per_request(
        self,
        before: tuple[float, dict[str, dict[int, float]]],
        after: tuple[float, dict[str, dict[int, float]]],
        requests: int,
    ) -> dict[str, float]:
        elapsed = after[0] - before[0]
        out: dict[str, float] = {}
        for name, used in after[1].items():
            busy = self._used(before[1].get(name, {}), used) - self.idle.get(name, 0.0) * elapsed
            out[name] = round(max(busy, 0.0) * 1000 / max(requests, 1), 3)
        return out


def cpu_rate(pids: Sequence[int], seconds: float = 2.0) -> float:
    """The cores the processes use together, over ``seconds``."""
    before = _cpu_seconds(pids)
    time.sleep(seconds)
    return (_cpu_seconds(pids) - before) / seconds


def wait_idle(pids: Sequence[int], idle: float, limit: float = 20.0) -> float:
    """Wait until the processes are back to their idle CPU use (``idle`` cores, from
    :func:`cpu_rate` before the load; background jobs such as the outbox relays poll) plus a tenth
    of a core, over 0.5 s, or ``limit`` passed; the seconds waited. When wrk stops it drops the
    requests in flight, but the services finish them: without this, a slow path's leftovers
    would run inside the next path's measurement."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if cpu_rate(pids, 0.5) <= idle + 0.1:
            break
    return round(time.monotonic() - started, 1)


@dataclass
class Target:
    """One measured path: where it goes, and how to get the requests of a run of ``n``."""

    base: str
    requests: Callable[[int], list[Req]]
    give_back: Callable[[list[Req], int], None] | None = None


def _cycle(reqs: list[Req]) -> Callable[[int], list[Req]]:
    return lambda _n: reqs


def main(quick: bool, only: Sequence[str] | None = None, events: bool = True) -> dict[str, Any]:
    names, class_check = selected(only)
    duration = 3.0 if quick else 5.0
    rounds = 1 if quick else 3
    warmup = 1.0 if quick else 2.0
    result: dict[str, Any] = {
        "backend": backend(), "connections": CONNECTIONS, "seconds_per_run": duration,
        "rounds": rounds, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        # The machine is shared: say how busy it was, the numbers depend on it.
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
        "measured": [*names, *([CLASS_CHECK] if class_check else [])],
        "events": events,
    }  # fmt: skip
    if not shutil.which(WRK):
        return {**result, "error": f"{WRK} not found"}
    env = {"GATEWAY_RATE_LIMIT_USER": "100000000/minute",
           "GATEWAY_ACCESS_TOKEN_TTL_SECONDS": "3600"}  # fmt: skip
    if not events:
        # Every service's outbox relay off: an answer's events stay in assessment's outbox, so
        # the run shows what the answer costs without the work its events set off elsewhere.
        env["PATHWISE_OUTBOX_RELAY"] = "false"
    with (
        tempfile.TemporaryDirectory(prefix="pathwise-bench-loop-") as tmp,
        running_stack(env) as stack,
    ):
        workdir = Path(tmp)
        world = asyncio.run(_build_world(stack))
        gateway = stack.config.url("gateway")
        learner_ids = [lrn.id for lrn in world.learners]
        with _anchor(workdir, learner_ids) as anchor:
            if HISTORY_READS & set(names) and not ANSWER_PATHS & set(names):
                seeding = AnswerPool(stack, world, direct=True)
                started = time.perf_counter()
                asyncio.run(
                    _seed(
                        seeding.assessment,
                        seeding.take(SEED_ANSWERS * len(world.learners)),
                    )
                )
                result["seeded"] = {
                    "answers_per_learner": SEED_ANSWERS,
                    "seconds": round(time.perf_counter() - started, 1),
                }
            via_gw = AnswerPool(stack, world, direct=False)
            direct = AnswerPool(stack, world, direct=True)
            nexts = NextPool(stack, world)
            readers = world.demo_learners + learner_ids
            anchor_reads = [Req("GET", f"/learners/{lid}/profile") for lid in learner_ids]
            t, ti = world.teacher_token, world.teacher_internal
            every: dict[str, Target] = {
                "anchor_answer": Target(anchor.url, _cycle(anchor.answers)),
                "anchor_answer_proxied": Target(anchor.proxied_url, _cycle(anchor.answers)),
                "answer_gateway": Target(gateway, via_gw.take, via_gw.give_back),
                "answer_direct": Target(
                    stack.config.url("assessment"), direct.take, direct.give_back
                ),
                "anchor_read": Target(anchor.url, _cycle(anchor_reads)),
                "anchor_read_proxied": Target(anchor.proxied_url, _cycle(anchor_reads)),
                "profile_gateway": Target(
                    gateway,
                    _cycle([Req("GET", f"/v1/learners/{lid}/profile", t) for lid in readers]),
                ),
                "profile_direct": Target(
                    stack.config.url("profiles"),
                    _cycle([Req("GET", f"/v1/learners/{lid}/profile", ti) for lid in readers]),
                ),
                "overview_gateway": Target(
                    gateway,
                    _cycle([Req("GET", f"/v1/learners/{lid}/overview", t) for lid in readers]),
                ),
                "dashboard_gateway": Target(
                    gateway,
                    _cycle([Req("GET", f"/v1/classes/{c}/dashboard", t) for c in world.classes]),
                ),
                "next_gateway": Target(gateway, nexts.take, nexts.give_back),
            }
            paths = {name: every[name] for name in names}
            rate: dict[str, float] = {}
            waited: list[float] = []
            pids = [p.pid for p in stack.processes.values()] + anchor.pids
            result["anchor_pool"] = anchor.pool
            groups = {name: [proc.pid] for name, proc in stack.processes.items()}
            app_pid, proxy_pid = anchor.pids
            groups.update({"anchor": [app_pid], "anchor proxy": [proxy_pid]})
            meter = CpuMeter(groups, postgres=anchor.pool is not None)
            meter.measure_idle()
            # The stack's and the anchor's idle use (wait_idle watches their processes).
            idle = sum(cores for name, cores in meter.idle.items() if name != "postgres")
            result["idle_cpu_cores"] = round(idle, 3)

            def run(name: str, seconds: float) -> WrkResult:
                path = paths[name]
                # Enough fresh answers for the run at the best rate seen so far, and a margin:
                # twice that, and never fewer than 150/s' worth (the warm-up's rate is a cold
                # start's, and a run that outpaced 1.6 times it once ran out).
                wanted = math.ceil(max(rate.get(name, 150.0), 150.0) * seconds * 2) + 64
                reqs = path.requests(wanted)
                before = meter.snapshot()
                measured = run_wrk(path.base, reqs, seconds, workdir)
                if path.give_back is not None:
                    path.give_back(reqs, min(measured.issued, len(reqs)))
                else:
                    measured.prepared = 0  # a read path cycles on purpose: never "ran out"
                rate[name] = max(rate.get(name, 0.0), measured.rps)
                waited.append(wait_idle(pids, idle))
                measured.cpu_ms = meter.per_request(before, meter.snapshot(), measured.requests)
                return measured

            # Every path once before measuring: warm caches, connections, and a first rate.
            warm = {name: run(name, warmup).as_dict() for name in paths}
            result["warmup"] = {
                k: {"rps": v["rps"], "statuses": v["statuses"]} for k, v in warm.items()
            }
            runs: dict[str, list[WrkResult]] = {name: [] for name in paths}
            checks: list[dict[str, Any]] = []
            class_learners = [lrn for n, lrn in enumerate(world.learners) if n % CLASSES == 0]
            for _ in range(rounds):
                for name in paths:
                    runs[name].append(run(name, duration))
                if class_check:
                    checks.append(asyncio.run(_class_check(gateway, world, class_learners)))
        summary = summarize(runs)
        # What the services logged (warnings and up, as in the tests' stacks): an error or a
        # degraded answer in the table can then be traced. Beside the results, not committed.
        logs = ROOT / "bench" / "results" / "loop-logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service in stack.processes:
            (logs / f"{service}.log").write_text(stack.log_text(service))
        result["logs"] = str(logs.relative_to(ROOT))
    result.update(summary)
    if checks:
        result["class_check"] = sorted(checks, key=lambda c: c["wall_s"])[len(checks) // 2]
        result["class_check_rounds_wall_s"] = [c["wall_s"] for c in checks]
    result["idle_wait_s_after_runs"] = {
        "total": round(sum(waited), 1), "max": max(waited, default=0.0),
    }  # fmt: skip
    result["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    result["table"] = markdown_table(summary, runs)
    result["cpu_table"] = cpu_table(summary)
    print(result["table"], result["cpu_table"], sep="\n\n", flush=True)
    return result
