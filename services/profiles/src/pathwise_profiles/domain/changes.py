"""What an edit changes: the fields and their before/after values, for history and events."""

from collections.abc import Mapping
from typing import Any

__all__ = ["diff"]


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """Fields of ``after`` whose value differs from ``before``, with both sides of each."""
    fields = sorted(k for k, v in after.items() if before.get(k) != v)
    return fields, {k: before.get(k) for k in fields}, {k: after[k] for k in fields}
