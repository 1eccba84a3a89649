"""``make run`` as a newcomer runs it: ``python -m pathwise_devstack`` in an empty directory.

It builds the four apps in one interpreter and forks the services from it
(``pathwise_devstack.forked``); this test takes the whole path: migrated and seeded SQLite
databases in a directory of their own, every service answering, the gateway's route table
complete when the command says it is running, the demo walk's first read, and Ctrl-C (SIGINT to
the terminal's process group) stopping every process it started.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from pathwise_devstack.stack import free_ports
from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

READY_LINE = "Pathwise is running."


def _children(pid: int) -> set[int]:
    """Every process whose parent is ``pid`` (read from /proc: no extra package)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The parent id is the second field after the command's closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    # A zombie has exited: only its parent's wait is missing.
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_make_run_serves_the_seeded_district_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    profiles, pathways, assessment, gateway, receiver = free_ports(5)
    env = {
        **os.environ,
        "PROFILES_PORT": str(profiles),
        "PATHWAYS_PORT": str(pathways),
        "ASSESSMENT_PORT": str(assessment),
        "GATEWAY_PORT": str(gateway),
        "PATHWISE_DEMO_RECEIVER_PORT": str(receiver),
    }
    for name in list(env):
        # The embedded default, whatever the test run uses.
        if name.endswith("_DATABASE_URL") or name.startswith("PATHWISE_TEST_"):
            env.pop(name)
    command = subprocess.Popen(
        [sys.executable, "-m", "pathwise_devstack"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert command.stdout is not None
        for line in command.stdout:
            output.append(line)
            if line.strip() == READY_LINE:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(180), "".join(output[-40:])
        assert {"profiles.db", "pathways.db", "assessment.db", "gateway.db"} <= {
            p.name for p in (tmp_path / "var").iterdir()
        }
        services = _children(command.pid)
        assert len(services) >= 5, services  # four services and the demo receiver
        with httpx.Client(base_url=f"http://127.0.0.1:{gateway}", timeout=10) as gw:
            answer = gw.get("/readyz")
            assert answer.status_code == 200
            assert answer.json()["checks"]["routes"] == "complete"
            learner = demo_id("learner", "learner-01")
            pathway = gw.get(f"/v1/learners/{learner}/pathway", headers=dev_login(gw, "learner-01"))
            assert pathway.status_code == 200, pathway.text  # planned by the live seed
            assert pathway.json()["steps"]
        for port, name in (
            (profiles, "profiles"),
            (pathways, "pathways"),
            (assessment, "assessment"),
        ):
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
            assert health.json()["service"] == name
    finally:
        os.killpg(command.pid, signal.SIGINT)  # Ctrl-C
        try:
            code = command.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(command.pid, signal.SIGKILL)
            raise
        finally:
            reader.join(10)
            assert command.stdout is not None
            command.stdout.close()
    assert code == 0, "".join(output[-40:])
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in services) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in services if _alive(pid)], "a service outlived Ctrl-C"
