"""The change feed's pure rules: which objects it carries, their operations and links, and its
cursor (docs/profiles.md, "Change feed").

A cursor is the opaque, url-safe encoding of ``["c1", district_id, seq]``: the position after
the entry ``seq`` of one district's feed. It names its district so that a cursor of district A
presented by district B is refused with a clear problem instead of silently reading B's feed
from A's position (a sync tool configured with the wrong credentials would otherwise skip or
repeat B's changes). It is not signed: a client that edits the number only moves within its own
district's feed, which it may read anyway, and a signature would tie every stored cursor to a
key (a rotated key would force every warehouse into a full resync).
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CURSOR_VERSION",
    "MAX_SEQ",
    "OBJECT_TYPES",
    "REPRESENTED",
    "CursorError",
    "FeedPosition",
    "Operation",
    "decode_cursor",
    "encode_cursor",
    "href_of",
    "operation_for",
]

CURSOR_VERSION = "c1"
MAX_SEQ = 2**63 - 1
# A cursor is three short strings; anything longer is not one of ours (and is not decoded).
_MAX_CURSOR_LENGTH = 200

Operation = Literal["upsert", "delete"]

# The object types the feed carries, with the path of each object's own read in /v1. Learner
# profiles come as links only: what a reader may see of a profile depends on who reads
# (docs/profiles.md, "Visibility"), so the feed does not copy it.
_PATHS: dict[str, str] = {
    "district": "/v1/districts/{id}",
    "school": "/v1/schools/{id}",
    "academic_session": "/v1/sessions/{id}",
    "course": "/v1/courses/{id}",
    "class": "/v1/classes/{id}",
    "user": "/v1/users/{id}",
    "enrollment": "/v1/enrollments/{id}",
    "guardian_link": "/v1/guardians/{id}",
    "learner_profile": "/v1/learners/{id}/profile",
}
OBJECT_TYPES: tuple[str, ...] = tuple(_PATHS)
# The types whose upserts carry the object's current representation (roster records).
REPRESENTED: frozenset[str] = frozenset(OBJECT_TYPES) - {"learner_profile"}


class CursorError(ValueError):
    """A cursor that cannot be used: ``reason`` is ``malformed`` or ``other_district``."""

    def __init__(self, reason: Literal["malformed", "other_district"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FeedPosition:
    district_id: uuid.UUID
    seq: int


def encode_cursor(district_id: uuid.UUID, seq: int) -> str:
    raw = json.dumps([CURSOR_VERSION, str(district_id), str(seq)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, district_id: uuid.UUID) -> FeedPosition:
    """The position a cursor names in ``district_id``'s feed; ``CursorError`` when it is not one
    of ours (``malformed``) or belongs to another district's feed (``other_district``)."""
    if len(cursor) > _MAX_CURSOR_LENGTH or not cursor.isascii():
        raise CursorError("malformed")
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CursorError("malformed") from exc
    if (
        not isinstance(values, list)
        or len(values) != 3
        or not all(isinstance(v, str) for v in values)
        or values[0] != CURSOR_VERSION
    ):
        raise CursorError("malformed")
    _, district, seq = values
    try:
        owner = uuid.UUID(district)
    except ValueError as exc:
        raise CursorError("malformed") from exc
    # Only plain ASCII digits ("+1", " 1", "1_0" and non-ASCII digits all pass int()), no leading
    # zeros (one position, one spelling), and no more than the column holds.
    if not (seq.isascii() and seq.isdigit()) or (len(seq) > 1 and seq[0] == "0"):
        raise CursorError("malformed")
    number = int(seq)
    if number > MAX_SEQ or encode_cursor(owner, number) != cursor.rstrip("="):
        raise CursorError("malformed")
    if owner != district_id:
        raise CursorError("other_district")
    return FeedPosition(owner, number)


def operation_for(status: str) -> Operation:
    """A roster record marked ``tobedeleted`` (OneRoster's soft delete) is a delete in the feed;
    any other write, a re-activation included, is an upsert."""
    return "delete" if status == "tobedeleted" else "upsert"


def href_of(object_type: str, object_id: uuid.UUID) -> str:
    return _PATHS[object_type].format(id=object_id)
