"""Waiting for an event with a time limit, without losing a cancellation.

On Python 3.11, ``asyncio.wait_for(event.wait(), t)`` returns normally when the event is set in
the same turn of the loop as the waiting task is cancelled: the cancellation is swallowed, and a
``while True`` loop around it (a dispatcher, a relay, a flusher) never ends, so whoever stopped it
waits forever (seen as a test hanging at a dispatcher's shutdown). ``asyncio.timeout`` keeps the
cancellation (3.11 counts the requests and re-raises), so every background loop waits through
:func:`wait_set`.
"""

import asyncio

__all__ = ["wait_set"]


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass; whether it was set."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
