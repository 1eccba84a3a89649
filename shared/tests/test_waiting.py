"""A background loop that waits on an event with a time limit ends when it is cancelled, even
when the event is set in the same turn of the loop as the cancellation (the case in which
Python 3.11's ``asyncio.wait_for`` swallows the cancellation and the loop runs on forever)."""

import asyncio
import sys
from collections.abc import Awaitable, Callable

import pytest

from pathwise_shared.waiting import wait_set

Wait = Callable[[asyncio.Event, float], Awaitable[bool]]


async def with_wait_for(event: asyncio.Event, seconds: float) -> bool:
    """The pattern the loops used before."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def loop_ends_when_cancelled(wait: Wait) -> bool:
    event = asyncio.Event()

    async def background() -> None:
        while True:
            await wait(event, 10.0)
            event.clear()

    task = asyncio.create_task(background())
    await asyncio.sleep(0)  # the loop is now waiting on the event
    event.set()
    task.cancel()  # in the same turn as the wake-up
    done, _ = await asyncio.wait({task}, timeout=1.0)
    if task not in done:
        task.cancel()  # the control case: stop it for good (it waits again, and this lands)
        await asyncio.gather(task, return_exceptions=True)
        return False
    return task.cancelled()


async def test_a_loop_on_wait_set_ends_when_cancelled_as_it_wakes() -> None:
    assert await loop_ends_when_cancelled(wait_set)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for keeps cancellations from 3.12")
async def test_control_wait_for_loses_that_cancellation_on_python_3_11() -> None:
    assert not await loop_ends_when_cancelled(with_wait_for)


async def test_wait_set_says_whether_the_event_was_set() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    event.set()
    assert await wait_set(event, 0.01) is True
