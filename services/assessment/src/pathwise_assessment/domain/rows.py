"""Plain rows of an attempt's view: the item versions it pins and its responses.

The hot paths (answer, ``/next``, attempt reads) read these as columns, not as ORM objects: an
item version never changes once written (an edit writes a new version), so versions are cached
per process by id, and responses are read in the same statement as the attempt's items.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pathwise_assessment.domain.bkt import BktParams

__all__ = ["ResponseRow", "StateRow", "StoredStateRow", "VersionRow"]


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One item version (immutable: never mutate ``skill_codes`` or ``spec``, they are shared)."""

    id: uuid.UUID
    item_id: uuid.UUID
    version: int
    type: str
    stem: str
    skill_codes: list[str]
    points: float
    difficulty: float
    discrimination: float
    spec: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResponseRow:
    id: uuid.UUID
    item_id: uuid.UUID
    item_version_id: uuid.UUID
    answer: dict[str, Any]
    status: str
    earned: float
    possible: float
    correct: bool | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StateRow:
    """A learner's mastery state of a skill, as the mastery reads return it."""

    learner_id: uuid.UUID
    skill_code: str
    p_known: float
    mastered: bool
    level: str
    evidence_count: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredStateRow:
    """A mastery state as stored (valid at ``updated_at``), with its skill's stored parameters
    (None: the defaults): what a read needs to show the state as of now."""

    learner_id: uuid.UUID
    skill_code: str
    p_known: float
    mastered: bool
    evidence_count: int
    evidence_weight: float
    updated_at: datetime
    params: BktParams | None
    threshold: float | None
