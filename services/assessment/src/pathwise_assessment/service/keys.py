"""Creating a keyed resource when another request with the same key may be creating it too."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.idempotency import IdempotentRequest, in_progress

__all__ = ["first_with_key"]


@asynccontextmanager
async def first_with_key(
    session: AsyncSession, idempotency: IdempotentRequest | None
) -> AsyncIterator[None]:
    """Insert the keyed row under a savepoint. Two requests with one key can both miss each
    other's row (the gateway re-forwards after a lease take-over while the first call is still
    running, or a client calls twice at once); the unique key lets one insert, and the other gets
    409 ``idempotency-key-in-progress``: its retry then finds the row and is answered with it,
    instead of a 500 now."""
    if idempotency is None:
        yield
        return
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise in_progress(1) from exc
