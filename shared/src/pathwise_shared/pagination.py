"""Keyset (cursor) pagination: stable under inserts, cheap at any depth.

Ids are UUIDv7, so ordering by id is creation order; a cursor is the opaque, url-safe encoding of
the last row's sort key.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from pathwise_shared.problems import BadRequest

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CursorParam",
    "LimitParam",
    "Page",
    "decode_cursor",
    "decode_id_cursor",
    "decode_int_cursor",
    "encode_cursor",
    "page_of",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_MAX_DB_INT = 2**63 - 1
T = TypeVar("T")
R = TypeVar("R")

LimitParam = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size (at most {MAX_PAGE_SIZE})")
]
CursorParam = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(*key: Any) -> str:
    raw = json.dumps([str(k) for k in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, parts: int = 1) -> list[str]:
    """The sort key a cursor carries; a tampered or foreign cursor is a 400, never a 500."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor") from exc
    if (
        not isinstance(values, list)
        or len(values) != parts
        or not all(isinstance(v, str) for v in values)
    ):
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor")
    return values


def decode_id_cursor(cursor: str | None) -> uuid.UUID | None:
    """The id a one-part cursor carries (None for the first page); a bad cursor is a 400."""
    if cursor is None:
        return None
    (value,) = decode_cursor(cursor)
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor") from exc


def decode_int_cursor(cursor: str | None) -> int | None:
    """The non-negative integer a one-part cursor carries (a version number, say); a bad cursor
    is a 400. Only ASCII digits, and no more than a database integer holds."""
    if cursor is None:
        return None
    (value,) = decode_cursor(cursor)
    if not (value.isascii() and value.isdigit()) or int(value) > _MAX_DB_INT:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor")
    return int(value)


def page_of(
    rows: Sequence[R],
    limit: int,
    key: Callable[[R], Sequence[Any]],
    convert: Callable[[R], T],
) -> Page[T]:
    """Build a page from ``limit + 1`` fetched rows: the extra row only says there is more."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page[T](
        items=[convert(r) for r in items],
        next_cursor=encode_cursor(*key(items[-1])) if more and items else None,
    )
