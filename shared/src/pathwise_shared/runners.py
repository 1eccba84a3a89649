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
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import RowMapping
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.db.engine import Database
from pathwise_shared.db.errors import is_database_unavailable
from pathwise_shared.db.uow import unit_of_work

__all__ = [
    "RESUME_RETRY_SECONDS",
    "resume_in_background",
    "runner_is_gone",
    "take_over_abandoned",
    "this_runner",
]

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


class _UpdateJob(Protocol):
    async def __call__(
        self, session: AsyncSession, job_id: uuid.UUID, values: dict[str, Any], *, state: str
    ) -> object: ...


async def take_over_abandoned(
    db: Database,
    *,
    unfinished: Callable[[AsyncSession], Awaitable[Sequence[RowMapping]]],
    update_job: _UpdateJob,
    launch: Callable[[uuid.UUID], None],
    interrupted: str,
) -> list[uuid.UUID]:
    """Make this process the runner of every unfinished job whose runner is gone (queued again,
    with ``interrupted`` as its error until it runs), then launch them; the ids taken over.
    ``update_job`` changes a job only while it is still in the state read, so a job another
    process took over meanwhile is left to it."""
    taken: list[uuid.UUID] = []
    async with unit_of_work(db, write=True) as session:
        for job in await unfinished(session):
            if not runner_is_gone(job["runner"]):
                continue
            await update_job(
                session,
                job["id"],
                {"state": "queued", "runner": this_runner(), "error": interrupted},
                state=job["state"],
            )
            taken.append(job["id"])
    for job_id in taken:
        launch(job_id)
    return taken
