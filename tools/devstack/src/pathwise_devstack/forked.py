"""Service processes forked from an interpreter that has already imported the four apps.

A service process spends most of its start-up importing (FastAPI, SQLAlchemy, pydantic, httpx
and the service's own routes and schemas: 1.5-3 s of CPU each on this machine kind), and a
stack starts four of them on two cores. ``make run`` builds every app once in its own
interpreter (:func:`prepare_apps`), then forks each service from there: the children share the
imported modules (copy-on-write) and only open their database and bind their port. (FastAPI
prepares a route's request handling at its first call; that stays in the children, where only
the routes used pay it, on both cores.) The test stacks keep separate interpreters (``subprocess.Popen``): a pytest process has
threads of its own and must not be forked.

:class:`ForkedProcess` offers the part of ``Popen``'s interface the stack and its callers use
(``pid``, ``poll``, ``wait``, ``send_signal``, ``terminate``, ``kill``).
"""

import importlib
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI

from pathwise_devstack.services import ServiceSpec
from pathwise_shared.http import SERVER_KEEP_ALIVE_SECONDS
from pathwise_shared.logging import configure_logging

__all__ = ["UVICORN_OPTIONS", "ForkedProcess", "fork_uvicorn", "prepare_apps"]


def prepare_apps(specs: Iterable[ServiceSpec], env: Mapping[str, str]) -> dict[str, FastAPI]:
    """Each service's app, built in this interpreter with the stack's environment ``env`` (which
    becomes this process's: the services' settings are read from it)."""
    os.environ.update(env)
    apps: dict[str, FastAPI] = {}
    for spec in specs:
        settings = importlib.import_module(f"{spec.package}.settings")
        # Settings are read once per process (lru_cache): read them again with ``env``.
        settings.get_settings.cache_clear()
        apps[spec.name] = importlib.import_module(f"{spec.package}.app").create_app()
    return apps


class ForkedProcess:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0.0)
            time.sleep(0.05)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


# As ``python -m uvicorn … --no-access-log --timeout-graceful-shutdown 5 --timeout-keep-alive 5``.
UVICORN_OPTIONS: dict[str, Any] = {
    "access_log": False,
    "timeout_graceful_shutdown": 5,
    "timeout_keep_alive": SERVER_KEEP_ALIVE_SECONDS,
}


def fork_uvicorn(app: FastAPI, *, host: str, port: int, log_fd: int | None = None) -> ForkedProcess:
    """Fork a child that serves ``app`` (from :func:`prepare_apps`) with uvicorn, as
    ``python -m uvicorn … --no-access-log`` would. Call it while this process has no running
    event loop or other threads."""
    pid = os.fork()
    if pid:
        return ForkedProcess(pid)
    code = 1
    try:
        if log_fd is not None:
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
        # The parent's handlers (make run's Ctrl-C) are not this process's; uvicorn installs
        # its own once it serves.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        import uvicorn

        config = uvicorn.Config(app, host=host, port=port, **UVICORN_OPTIONS)
        # After uvicorn's own logging set-up, as when uvicorn calls an app factory; the parent
        # built several apps, so its logging is the last one's.
        settings = app.state.settings
        configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
        uvicorn.Server(config).run()
        code = 0
    except BaseException:  # the child reports and leaves, whatever happened
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
