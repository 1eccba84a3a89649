"""The start-up take-over of abandoned jobs (``pathwise_shared.runners.resume_in_background``):
in the background, tried again while the database is unreachable, ended by any other error."""

import asyncio
import logging

import pytest
from sqlalchemy.exc import OperationalError

from pathwise_shared.runners import resume_in_background

log = logging.getLogger("test.runners")


async def test_the_take_over_waits_for_the_database() -> None:
    calls: list[int] = []

    async def resume() -> None:
        calls.append(len(calls))
        if len(calls) < 3:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("down"))

    tasks: set[asyncio.Task[None]] = set()
    task = resume_in_background(tasks, resume, what="jobs", log=log, waits=(0.01,))
    assert task in tasks  # cancelled with the runner's jobs at shutdown
    await task
    assert calls == [0, 1, 2]
    await asyncio.sleep(0)
    assert task not in tasks


async def test_another_error_ends_it() -> None:
    async def resume() -> None:
        raise ValueError("a bug")

    task = resume_in_background(set(), resume, what="jobs", log=log, waits=(0.01,))
    with pytest.raises(ValueError, match="a bug"):
        await task
