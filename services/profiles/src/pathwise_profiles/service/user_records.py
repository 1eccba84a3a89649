"""The one serializer of roster user records (``UserOut``) for every route that answers them:
the user reads and lists, their writes' answers, and the change feed. Who sees which field is
``domain/record_fields.py``; a route never builds a ``UserOut`` itself, so no route can forget it.
"""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.record_fields import RecordReader, needs_children, record_reader
from pathwise_profiles.repository import lookups
from pathwise_profiles.schemas.roster import UserOut
from pathwise_shared.auth import Principal

__all__ = ["reader_of", "user_out"]


async def reader_of(
    session: AsyncSession, principal: Principal, shown: Iterable[uuid.UUID]
) -> RecordReader:
    """The caller as a reader of the records ``shown``; a guardian's links are looked up only
    when the answer shows someone other than themselves."""
    children: frozenset[uuid.UUID] = frozenset()
    if (
        needs_children(principal)
        and principal.user_id is not None
        and any(user_id != principal.user_id for user_id in shown)
    ):
        children = await lookups.linked_students(
            session, principal.user_id, principal.require_district()
        )
    return record_reader(principal, children)


def user_out(values: Mapping[str, Any], reader: RecordReader) -> UserOut:
    """A user record (its row with ``roles`` and ``school_ids``) as this reader may see it."""
    shown = dict(values)
    if not reader.sees_birth_date(shown["id"]):
        shown["birth_date"] = None
    return UserOut.model_validate(shown)
