"""A job that runs in its own unit of work at a fixed interval, in a service's lifespan.

The services' periodic sweeps (assessment's mastery decay, profiles' notifications held back by
quiet hours) share this loop: a round writes all it does in one unit of work or nothing, and a
failed round is logged and the next one still comes, so one bad row never stops the schedule.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.db.engine import Database
from pathwise_shared.db.uow import unit_of_work

__all__ = ["run_every"]

logger = logging.getLogger("pathwise.schedule")


async def run_every(
    db: Database,
    interval_seconds: float,
    job: Callable[[AsyncSession], Awaitable[int]],
    *,
    name: str,
    done_message: str,
    rounds: int | None = None,
) -> None:
    """Run ``job`` every ``interval_seconds`` (``rounds`` bounds it, for tests). ``job`` returns
    how many things it did; a round that did some logs ``done_message % count``."""
    done = 0
    while rounds is None or done < rounds:
        await asyncio.sleep(interval_seconds)
        done += 1
        try:
            async with unit_of_work(db) as session:
                count = await job(session)
            if count:
                logger.info("%s: " + done_message, name, count)
        except Exception:  # a failed round must not stop the schedule
            logger.exception("%s failed", name)
