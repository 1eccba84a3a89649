"""Which process runs a background job, and whether that process is gone.

A job runs as a background task of the process that accepted it (profiles' roster imports, the
gateway's learner exports), so a process exit leaves it ``queued`` or ``running`` for ever. Each
job records its runner as ``host:pid:token``; on start-up a service looks for jobs of a runner on
its own host that is gone: its pid is not alive, or it is our own pid with another token (a
restarted container is pid 1 again). A runner on another host cannot be checked from here and is
left alone.
"""

import asyncio
import itertools
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from pathwise_shared.db.errors import is_database_unavailable

__all__ = ["RESUME_RETRY_SECONDS", "resume_in_background", "runner_is_gone", "this_runner"]

# Tells this process from an earlier one that had the same host and pid.
_TOKEN = secrets.token_hex(4)


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"[:200]


def runner_is_gone(runner: str | None) -> bool:
    if runner is None:
        return True  # written before runners were recorded: no process of ours still runs it
    parts = runner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid, token = int(parts[1]), parts[2]
    if pid == os.getpid():
        return token != _TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


# Waits between start-up attempts to take over abandoned jobs while the database is unreachable
# or not migrated yet (the last one repeats).
RESUME_RETRY_SECONDS = (1.0, 5.0, 30.0)


async def _resume_when_reachable(
    resume: Callable[[], Awaitable[object]],
    what: str,
    log: logging.Logger,
    waits: tuple[float, ...],
) -> None:
    for attempt in itertools.count():
        try:
            await resume()
            return
        except Exception as exc:
            if not (isinstance(exc, SQLAlchemyError) or is_database_unavailable(exc)):
                raise
            wait = waits[min(attempt, len(waits) - 1)]
            log.warning("abandoned %s not looked for yet (%s); again in %ss",
                        what, type(exc).__name__, wait)  # fmt: skip
            await asyncio.sleep(wait)


def resume_in_background(
    tasks: set[asyncio.Task[None]],
    resume: Callable[[], Awaitable[object]],
    *,
    what: str,
    log: logging.Logger,
    waits: tuple[float, ...] = RESUME_RETRY_SECONDS,
) -> asyncio.Task[None]:
    """Take over the jobs a gone process left (``resume``) at start-up, in the background: the
    service starts, and answers 503 on the routes that need its database while that database
    is down or not migrated, and the jobs are taken over as soon as it answers (tried again
    after each of ``waits``). The task joins ``tasks`` (cancelled with the runner's jobs at
    shutdown); an error that is not the database's ends it, logged."""
    task = asyncio.create_task(
        _resume_when_reachable(resume, what, log, waits), name=f"resume-{what}"
    )
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task
