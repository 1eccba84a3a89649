"""What every roster resource shares: list parameters and paging, the district-scoped get and
insert, reference checks and the school admin's reach."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, RowMapping, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.repository import roster as repo
from pathwise_profiles.service.change_log import record_status
from pathwise_shared.auth import Principal
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import as_utc, utcnow

__all__ = [
    "ListParams",
    "admin_schools",
    "conditions",
    "get_or_404",
    "insert_or_409",
    "is_district_wide",
    "page",
    "require_refs",
    "require_school_admin_of",
    "stamp",
    "update_recorded",
]

# The change feed's object type of each roster table (domain/change_feed.py).
_OBJECT_TYPES = {
    "districts": "district",
    "schools": "school",
    "academic_sessions": "academic_session",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
    "guardian_links": "guardian_link",
}

M = TypeVar("M", bound=BaseModel)


class ListParams(BaseModel):
    limit: int
    cursor: str | None = None
    status: str | None = None
    modified_since: datetime | None = None


def conditions(table: Table, params: ListParams) -> list[ColumnElement[bool]]:
    """The filters every roster list takes (OneRoster ``status`` and ``dateLastModified``)."""
    since = as_utc(params.modified_since) if params.modified_since else None
    return repo.common_filters(table, status=params.status, modified_since=since)


async def page(
    session: AsyncSession,
    table: Table,
    principal: Principal,
    params: ListParams,
    extra: Sequence[ColumnElement[bool]],
    out: type[M],
) -> Page[M]:
    rows = await repo.list_page(
        session,
        table,
        principal.require_district(),
        [*conditions(table, params), *extra],
        after=decode_id_cursor(params.cursor),
        limit=params.limit,
    )
    return page_of(rows, params.limit, lambda r: [r["id"]], lambda r: out.model_validate(dict(r)))


def _slug(what: str) -> str:
    """The object's name as it appears in a problem slug ("guardian link" → "guardian-link"):
    a space made the problem ``type`` an invalid URI."""
    return what.replace(" ", "-")


async def get_or_404(
    session: AsyncSession, table: Table, principal: Principal, object_id: uuid.UUID, what: str
) -> RowMapping:
    row = await repo.get_row(session, table, object_id, principal.require_district())
    if row is None:
        raise NotFound(f"No such {what} in your district.", slug=f"{_slug(what)}-not-found")
    return row


def is_district_wide(principal: Principal) -> bool:
    """Whether the caller's reach is the whole district (operators, clients, district admins)."""
    return principal.is_system or principal.kind == "client" or principal.has_role("district_admin")


async def admin_schools(session: AsyncSession, principal: Principal) -> list[uuid.UUID] | None:
    """The schools a caller manages; None means the whole district (district admin, clients)."""
    if is_district_wide(principal):
        return None
    return await repo.school_ids_of(session, principal.user_id)


async def require_school_admin_of(
    session: AsyncSession, principal: Principal, school_ids: Sequence[uuid.UUID]
) -> None:
    managed = await admin_schools(session, principal)
    if managed is None:
        return
    if not school_ids or not set(school_ids) <= set(managed):
        raise Forbidden("You manage only your own schools' roster.", slug="not-your-school")


async def require_refs(
    session: AsyncSession, principal: Principal, table: Table, ids: Sequence[uuid.UUID], field: str
) -> None:
    wanted = {i for i in ids if i is not None}
    found = await repo.existing_ids(session, table, list(wanted), principal.require_district())
    missing = wanted - found
    if missing:
        raise UnprocessableContent(
            f"{field}: no such record in your district: {', '.join(sorted(map(str, missing)))}",
            slug="unknown-reference",
            field=field,
        )


def stamp() -> dict[str, Any]:
    now = utcnow()
    return {"id": new_id(), "status": "active", "created_at": now, "updated_at": now}


async def insert_or_409(
    session: AsyncSession, table: Table, values: dict[str, Any], what: str
) -> None:
    # A savepoint, so a duplicate leaves the request's transaction usable for the problem answer.
    try:
        async with session.begin_nested():
            await repo.insert_row(session, table, values)
    except IntegrityError as exc:
        raise Conflict(
            f"A {what} with this sourced_id or name already exists in your district.",
            slug=f"{_slug(what)}-exists",
        ) from exc
    district_id = values["id"] if table.name == "districts" else values["district_id"]
    record_status(session, district_id, _OBJECT_TYPES[table.name], values["id"], values["status"])


async def update_recorded(
    session: AsyncSession,
    table: Table,
    object_id: uuid.UUID,
    district_id: uuid.UUID,
    changes: dict[str, Any],
) -> None:
    """Update a roster record (``updated_at`` set here) and put it on the change feed: a delete
    when it is ``tobedeleted`` afterwards, else an upsert."""
    status = await repo.update_row_status(
        session, table, object_id, {**changes, "updated_at": utcnow()}
    )
    if status is not None:
        record_status(session, district_id, _OBJECT_TYPES[table.name], object_id, status)
