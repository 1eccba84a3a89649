"""Time-ordered identifiers (UUIDv7): sortable, index-friendly, unguessable enough for URLs."""

import uuid

from uuid_utils import compat

__all__ = ["new_id"]


def new_id() -> uuid.UUID:
    """A fresh UUIDv7 as a standard-library UUID (so SQLAlchemy and pydantic take it as is)."""
    return compat.uuid7()
