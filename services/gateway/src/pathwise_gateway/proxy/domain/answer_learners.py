"""Which learners an upstream answer is about, for the audit log of calls whose path names none.

``/v1/attempts/{attempt_id}/...`` carries a student's answers, but only the service knows whose
attempt it is. Its answer says so (``learner_id``), so the gateway reads it from there instead of
asking the service again. A page (``items``) names one learner per distinct ``learner_id``.
"""

import json
import uuid
from typing import Any

__all__ = ["MAX_LEARNERS", "learners_in_answer"]

# A page is at most 200 items; more distinct learners than that is not an answer of ours.
MAX_LEARNERS = 200
_MARKER = b'"learner_id"'


def _learner(value: Any) -> uuid.UUID | None:
    if not isinstance(value, dict):
        return None
    try:
        return uuid.UUID(str(value.get("learner_id")))
    except ValueError:
        return None


def learners_in_answer(content_type: str, body: bytes) -> list[uuid.UUID]:
    """The learners a JSON answer names at its top level or in its ``items``, in order, once
    each; none for anything else (not JSON, a problem, no ``learner_id``)."""
    # Most answers name no learner: a byte search keeps them from being parsed at all.
    if not content_type.startswith("application/json") or _MARKER not in body:
        return []
    try:
        value = json.loads(body)
    except ValueError:
        return []
    if not isinstance(value, dict):
        return []
    found: list[uuid.UUID] = []
    top = _learner(value)
    if top is not None:
        found.append(top)
    items = value.get("items")
    if isinstance(items, list):
        for item in items:
            learner = _learner(item)
            if learner is not None and learner not in found:
                found.append(learner)
                if len(found) >= MAX_LEARNERS:
                    break
    return found
