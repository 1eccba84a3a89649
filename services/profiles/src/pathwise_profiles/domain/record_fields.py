"""Who sees a roster user record's sensitive fields (docs/privacy.md, "Under 13").

Reaching a user record (the routes' access rules) is not the same as needing all of it. A
student's ``birth_date`` is kept for the under-13 retention rule only, so it is shown to those
who answer for the record or are its subject: the system (the roster sync that wrote it), the
district's admins, the learner themself and their linked guardians. Everyone else who reaches the
record (teachers, school admins, integration clients) reads it as null, the same as a record
without one, so a reader does not even learn whether the district gave one. Pure data in and out:
the service gathers the reader's linked children and applies the rule in its one serializer.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from pathwise_shared.auth import Principal

__all__ = ["RecordReader", "needs_children", "record_reader"]


@dataclass(frozen=True, slots=True)
class RecordReader:
    """The caller as a reader of user records: whether they see every field, who they are, and
    the students they are a guardian of (active links only)."""

    full: bool
    user_id: uuid.UUID | None = None
    children: frozenset[uuid.UUID] = frozenset()

    def sees_birth_date(self, user_id: uuid.UUID) -> bool:
        return self.full or user_id == self.user_id or user_id in self.children


def needs_children(principal: Principal) -> bool:
    """Whether the rule needs the caller's linked children (only a guardian has any)."""
    return (
        principal.kind == "user"
        and principal.user_id is not None
        and principal.has_role("guardian")
    )


def record_reader(principal: Principal, children: Iterable[uuid.UUID] = ()) -> RecordReader:
    # A client is an integration the district authorised to read the roster: it reaches every
    # record but is neither the record's steward nor its subject (OneRoster's REST binding keeps
    # demographics out of its users too).
    full = principal.is_system or (
        principal.kind == "user" and principal.has_role("district_admin")
    )
    own = principal.user_id if principal.kind == "user" else None
    # Links count only for a guardian: a teacher's or admin's links (none, normally) grant nothing.
    linked = frozenset(children) if needs_children(principal) else frozenset()
    return RecordReader(full=full, user_id=own, children=linked)
