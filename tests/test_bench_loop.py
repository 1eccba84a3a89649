"""The core-loop benchmark's own machinery (bench/bench_loop.py): reading wrk's output, the Lua
script that cycles prepared requests and counts statuses, and the medians, ratios and table.
No timing is asserted: the numbers here are made up or only counted."""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.bench_loop import (
    RATIOS,
    CpuMeter,
    Req,
    WrkResult,
    cpu_table,
    markdown_table,
    median_ratio,
    parse_wrk,
    run_wrk,
    summarize,
)

PLAIN = """Running 1s test @ http://127.0.0.1:18991/nope
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.72ms    4.15ms  40.34ms   90.32%
    Req/Sec     1.32k   332.89     1.68k    70.00%
  Latency Distribution
     50%  812.00us
     75%    4.33ms
     90%    7.76ms
     99%    1.20s
  1323 requests in 1.01s, 672.02KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 17
Requests/sec:   1310.60
Transfer/sec:    665.72KB
"""

HOOKED = (
    PLAIN
    + """BENCH statuses 200=1300,409=3,503=20
BENCH problems 409 already-answered=3,503 database-busy=19,503 ?=1
BENCH issued=1340 prepared=1330 degraded=4
BENCH latency_us p50=2270 p99=22150 max=40340
BENCH summary requests=1323 duration_us=1010000 connect=0 read=2 write=0 status=23 timeout=3
"""
)


def test_plain_wrk_output_is_read() -> None:
    got = parse_wrk(PLAIN)
    assert (got.requests, got.rps, got.non_2xx_3xx, got.socket_errors) == (1323, 1310.6, 17, 5)
    assert got.seconds == pytest.approx(1.01)
    assert got.p50_ms == pytest.approx(0.812)
    assert got.p99_ms == pytest.approx(1200.0)
    assert got.errors == 22  # no status counts: wrk's non-2xx count and the socket errors
    assert not got.ran_out


def test_the_done_hook_lines_win_and_every_failure_counts() -> None:
    got = parse_wrk(HOOKED)
    assert got.statuses == {200: 1300, 409: 3, 503: 20}
    assert (got.p50_ms, got.p99_ms, got.max_ms) == (2.27, 22.15, 40.34)
    assert got.rps == pytest.approx(1323 / 1.01)
    # 23 answers >= 400, 5 socket errors, 4 degraded aggregates.
    assert got.errors == 23 + 5 + 4
    assert got.ran_out  # 1340 requests issued from 1330 prepared: some were sent twice
    assert got.as_dict()["statuses"] == {"200": 1300, "409": 3, "503": 20}
    # Each error answer's problem, by its type's slug ("?" for a body that is not a problem).
    assert got.problems == {"409 already-answered": 3, "503 database-busy": 19, "503 ?": 1}


def _run(rps: float, p50: float = 10.0, p99: float = 20.0, bad: int = 0) -> WrkResult:
    return WrkResult(
        requests=int(rps), seconds=1.0, rps=rps, p50_ms=p50, p99_ms=p99,
        statuses={200: int(rps) - bad, 500: bad} if bad else {200: int(rps)},
    )  # fmt: skip


def test_ratios_are_medians_of_the_rounds_and_the_table_shows_them() -> None:
    runs = {
        "anchor_answer": [_run(1000), _run(800), _run(1200)],
        "answer_gateway": [_run(100, 50, 400, bad=2), _run(400), _run(300)],
        "answer_direct": [_run(200), _run(400), _run(600)],
        "anchor_read": [_run(2000)],
        "profile_gateway": [],
    }
    # Per round 0.1, 0.5, 0.25: the median is 0.25 (not 400/1000 of the median runs).
    assert median_ratio(runs["answer_gateway"], runs["anchor_answer"]) == 0.25
    summary = summarize(runs)
    gw = summary["paths"]["answer_gateway"]
    assert gw["rps"] == 300 and gw["rounds_rps"] == [100, 400, 300]
    assert gw["errors_all_rounds"] == 2 and gw["requests_all_rounds"] == 800
    assert gw["p99_over_p50"] == 2.0
    assert summary["ratios"]["answer_gateway/anchor_answer"] == 0.25
    assert summary["ratios"]["answer_gateway/answer_direct"] == 0.5  # 0.5, 1.0, 0.5
    # A ratio whose paths did not both run is left out, not zero.
    assert "profile_gateway/anchor_read" not in summary["ratios"]
    assert set(summary["ratios"]) <= set(RATIOS)
    table = markdown_table(summary, runs).splitlines()
    assert table[0].startswith("| path | req/s | p50 | p99 |")
    assert len(table) == 2 + 4  # header, rule, the four paths that ran
    row = next(r for r in table if r.startswith("| answer, through the gateway"))
    assert row.split(" | ")[1:] == ["300", "10.0 ms", "20.0 ms", "2.0", "2 of 800", "0.250 |"]
    assert any(r.startswith("| minimal answer endpoint |") and r.endswith("| 1 |") for r in table)


def test_cpu_per_request_takes_off_the_idle_use_and_counts_processes_that_came_late() -> None:
    meter = CpuMeter({"assessment": [11], "gateway": [12]}, postgres=False)
    meter.idle = {"assessment": 0.1, "gateway": 0.0}  # cores, e.g. a relay's polling
    before = (100.0, {"assessment": {11: 5.0}, "gateway": {12: 1.0}, "postgres": {20: 3.0}})
    # 2 s later: assessment used 0.7 s (0.2 of it idle), a new PostgreSQL backend 0.05 s.
    after = (
        102.0,
        {"assessment": {11: 5.7}, "gateway": {12: 1.1}, "postgres": {20: 3.1, 21: 0.05}},
    )
    got = meter.per_request(before, after, requests=100)
    assert got == {"assessment": 5.0, "gateway": 1.0, "postgres": 1.5}


def test_a_process_gone_within_the_run_counts_nothing_rather_than_less_than_nothing() -> None:
    meter = CpuMeter({"pathways": [13]}, postgres=False)
    got = meter.per_request((0.0, {"pathways": {13: 4.0}}), (1.0, {"pathways": {13: 0.0}}), 10)
    assert got == {"pathways": 0.0}


def test_the_meter_sees_this_process_work() -> None:
    meter = CpuMeter({"me": [os.getpid()]}, postgres=False)
    before = meter.snapshot()
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert meter.per_request(before, meter.snapshot(), requests=1)["me"] >= 100


def test_the_cpu_table_shows_the_median_round_per_group_and_leaves_out_idle_noise() -> None:
    def run(assessment: float, postgres: float) -> WrkResult:
        got = _run(100)
        got.cpu_ms = {"assessment": assessment, "postgres": postgres, "anchor": 0.01}
        return got

    runs = {"answer_direct": [run(5.0, 2.0), run(7.0, 1.0), run(6.0, 3.0)]}
    summary = summarize(runs)
    assert summary["paths"]["answer_direct"]["cpu_ms_per_request"] == {
        "assessment": 6.0, "postgres": 2.0,
    }  # fmt: skip
    table = cpu_table(summary).splitlines()
    assert table[0] == "| path (CPU ms per request) | assessment | postgres | total |"
    assert table[2] == "| answer, straight to the assessment service | 6.00 | 2.00 | 8.00 |"


_BODIES = {
    "/ok": (200, b'{"degraded":[]}'),
    "/half": (200, b'{"degraded":["x"]}'),
    "/missing": (404, b'{"type":"https://pathwise.example/problems/learner-not-found"}'),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the services answer
    seen: list[tuple[str, str, str | None, bytes]] = []

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path, self.headers.get("Authorization"), body))
        status, payload = _BODIES.get(self.path.split("?")[0], (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_lua_script_sends_the_prepared_requests_and_counts_what_came_back(
    server: str, tmp_path: Path
) -> None:
    _Handler.seen.clear()
    reqs = [
        Req("PUT", "/ok?n=1", "token-a", {"answer": {"choice": "b"}}),
        Req("GET", "/half", "token-b"),
        Req("GET", "/missing"),
    ]
    got = run_wrk(server, reqs, 1, tmp_path)
    assert got.requests > 0
    assert sum(got.statuses.values()) == got.requests
    assert set(got.statuses) <= {200, 404} and got.statuses.get(404, 0) > 0
    assert got.degraded > 0 and got.errors == got.statuses.get(404, 0) + got.degraded
    # Each missing part is named by the first part the answer lists as degraded.
    assert got.problems == {
        "404 learner-not-found": got.statuses[404], "degraded x": got.degraded,
    }  # fmt: skip
    assert got.prepared == 3 and got.ran_out
    # Each prepared request went out as prepared: method, path, its own token, its body.
    assert set(_Handler.seen) == {
        ("PUT", "/ok?n=1", "Bearer token-a", b'{"answer":{"choice":"b"}}'),
        ("GET", "/half", "Bearer token-b", b""),
        ("GET", "/missing", None, b""),
    }
