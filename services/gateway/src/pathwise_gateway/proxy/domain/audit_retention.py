"""How long a district keeps its audit log (docs/privacy.md, "Retention"): the districts'
``audit_log_days`` as profiles lists them, read defensively.

A district profiles does not list keeps its whole log, and so does one whose entry cannot be
read (a period out of range, a malformed id): a misread answer must never delete anything.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

__all__ = ["MAX_AUDIT_DAYS", "MIN_AUDIT_DAYS", "audit_cutoffs"]

# The range profiles accepts for ``audit_log_days``: anything else is not trusted.
MIN_AUDIT_DAYS = 90
MAX_AUDIT_DAYS = 3650


def _days(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if MIN_AUDIT_DAYS <= value <= MAX_AUDIT_DAYS else None


def audit_cutoffs(body: Any, now: datetime) -> Mapping[uuid.UUID, datetime]:
    """Per district listed in profiles' answer (``{"districts": [{"district_id",
    "audit_log_days"}]}``), the time before which its audit entries are deleted."""
    districts = body.get("districts") if isinstance(body, dict) else None
    cutoffs: dict[uuid.UUID, datetime] = {}
    for item in districts if isinstance(districts, list) else []:
        if not isinstance(item, dict):
            continue
        days = _days(item.get("audit_log_days"))
        try:
            district = uuid.UUID(str(item.get("district_id")))
        except ValueError:
            continue
        if days is not None:
            cutoffs[district] = now - timedelta(days=days)
    return cutoffs
