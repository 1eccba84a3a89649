"""Start, watch and stop the four services as real uvicorn processes on loopback ports."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

import httpx
from fastapi import FastAPI

from pathwise_devstack.forked import ForkedProcess, fork_uvicorn, prepare_apps
from pathwise_devstack.receiver import HOOK_PATH
from pathwise_devstack.services import SERVICES, ServiceSpec
from pathwise_gateway.seed import DEMO_WEBHOOK_SECRET
from pathwise_shared.http import SERVER_KEEP_ALIVE_SECONDS

__all__ = ["RECEIVER", "Stack", "StackConfig", "free_port", "free_ports"]

# The demo webhook receiver's name among the stack's processes (not a service: no database).
RECEIVER = "receiver"


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports. Every socket stays bound until all are chosen:
    ports picked one at a time may repeat, and two services given one port once made the
    stack look ready while one of them had exited (the other answered its readiness probe)."""
    with contextlib.ExitStack() as held:
        ports: list[int] = []
        for _ in range(count):
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


@dataclass
class StackConfig:
    """Where each service listens and which database it uses; ``env`` goes to every process.

    With ``receiver_port``, the stack also runs the demo webhook receiver
    (``pathwise_devstack.receiver``) there, and the gateway may deliver to loopback.
    """

    ports: dict[str, int]
    database_urls: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    receiver_port: int | None = None

    def url(self, service: str) -> str:
        if service == RECEIVER:
            if self.receiver_port is None:
                raise KeyError("this stack runs no webhook receiver")
            return f"http://127.0.0.1:{self.receiver_port}"
        return f"http://{self.host}:{self.ports[service]}"

    @property
    def webhook_url(self) -> str | None:
        """Where the demo endpoint delivers: the receiver's hook, when the stack runs one."""
        if self.receiver_port is None:
            return None
        return f"{self.url(RECEIVER)}{HOOK_PATH}"

    def process_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        for spec in SERVICES:
            env[f"{spec.env_prefix}PORT"] = str(self.ports[spec.name])
            env[f"{spec.env_prefix}HOST"] = self.host
            env[f"{spec.env_prefix}DATABASE_URL"] = self.database_urls[spec.name]
            env[f"PATHWISE_{spec.name.upper()}_URL"] = self.url(spec.name)
        if self.receiver_port is not None:
            # The development allowance of the SSRF guard (production settings refuse it).
            env.setdefault("GATEWAY_WEBHOOKS_ALLOW_LOOPBACK", "true")
        return env


class Stack:
    def __init__(
        self, config: StackConfig, *, log_dir: str | None = None, fork: bool = False
    ) -> None:
        """``fork``: start the services by forking this interpreter once it has imported them
        (``pathwise_devstack.forked``; ``make run``), not as new interpreters (the tests)."""
        self.config = config
        self.log_dir = log_dir
        self.fork = fork
        self._apps: dict[str, FastAPI] | None = None
        self.processes: dict[str, subprocess.Popen[bytes] | ForkedProcess] = {}
        self._logs: dict[str, IO[bytes]] = {}

    def prepare(self) -> dict[str, FastAPI]:
        """The four apps to fork the services from (``fork`` stacks only; built once)."""
        if self._apps is None:
            self._apps = prepare_apps(SERVICES, self.config.process_env())
        return self._apps

    def migrate(self) -> None:
        for spec in SERVICES:
            spec.migrations.upgrade(self.config.database_urls[spec.name])

    def start(self, services: tuple[ServiceSpec, ...] = SERVICES) -> None:
        env = self.config.process_env()
        # The receiver first: the gateway may deliver as soon as it is up.
        if self.config.receiver_port is not None and RECEIVER not in self.processes:
            self.start_receiver(env)
        # All at once: each process spends its first seconds importing, which two cores do
        # side by side. The gateway finds the services' routes as they come up (it retries
        # quickly at first), and ``wait_ready`` waits until it has all of them.
        for spec in services:
            self.start_one(spec, env)

    def start_one(self, spec: ServiceSpec, env: Mapping[str, str] | None = None) -> None:
        if self.fork:
            log = self._open_log(spec.name)
            self.processes[spec.name] = fork_uvicorn(
                self.prepare()[spec.name],
                host=self.config.host,
                port=self.config.ports[spec.name],
                log_fd=log.fileno() if log else None,
            )
            return
        cmd = [
            sys.executable, "-m", "uvicorn", spec.app_factory, "--factory",
            "--host", self.config.host, "--port", str(self.config.ports[spec.name]),
            "--no-access-log", "--timeout-graceful-shutdown", "5",
            "--timeout-keep-alive", str(SERVER_KEEP_ALIVE_SECONDS),
        ]  # fmt: skip
        self._spawn(spec.name, cmd, env)

    def start_receiver(self, env: Mapping[str, str] | None = None) -> None:
        """The demo webhook receiver, verifying with the demo endpoint's secret."""
        cmd = [
            sys.executable, "-m", "pathwise_devstack.receiver",
            "--port", str(self.config.receiver_port), "--secret", DEMO_WEBHOOK_SECRET,
        ]  # fmt: skip
        self._spawn(RECEIVER, cmd, env)

    def _open_log(self, name: str) -> IO[bytes] | None:
        if not self.log_dir:
            return None
        os.makedirs(self.log_dir, exist_ok=True)
        log = open(os.path.join(self.log_dir, f"{name}.log"), "ab")  # noqa: SIM115
        self._logs[name] = log
        return log

    def _spawn(self, name: str, cmd: list[str], env: Mapping[str, str] | None) -> None:
        log = self._open_log(name)
        self.processes[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            cmd,
            env=dict(env or self.config.process_env()),
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
        )

    def wait_ready(self, timeout: float = 60.0, services: tuple[str, ...] | None = None) -> None:
        pending = set(services or self.processes)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in sorted(pending):
                    proc = self.processes[name]
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with code {proc.returncode} during start-up"
                        )
                    try:
                        if self._answers_as(client, name):
                            pending.discard(name)
                    except (httpx.HTTPError, ValueError):
                        pass
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(
                        f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}"
                    )
                if pending:
                    time.sleep(0.1)

    def _answers_as(self, client: httpx.Client, name: str) -> bool:
        """Ready, and the answer comes from ``name`` itself (a service reports its name; a
        port taken by another process must not pass for it)."""
        response = client.get(f"{self.config.url(name)}/readyz")
        if response.status_code != 200:
            return False
        if name == RECEIVER:
            return True
        answer = response.json()
        # The gateway is ready once its route table holds every service's routes: before, a
        # call to a service it has not reached yet would get a 503.
        complete = name != "gateway" or answer.get("checks", {}).get("routes") == "complete"
        return answer.get("service") == name and complete

    def stop_one(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log = self._logs.pop(name, None)
        if log is not None:
            log.close()

    def log_text(self, name: str) -> str:
        """What a service wrote so far (for test failure messages)."""
        if not self.log_dir:
            return ""
        path = os.path.join(self.log_dir, f"{name}.log")
        if not os.path.exists(path):
            return ""
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop_one(name)
