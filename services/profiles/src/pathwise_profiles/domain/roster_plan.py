"""A roster plan: what an import or a roster webhook will create, update and mark
``tobedeleted`` in a district, with every reference resolved to our ids; the report it gives
(``Plan.diff``); ``roster_guard`` weighs it against the district, kind by kind.

``roster_planner.make_plan`` makes one from OneRoster records and a snapshot of the district.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from pathwise_profiles.domain.oneroster_csv import RowError

__all__ = [
    "Existing",
    "KindPlan",
    "Link",
    "Plan",
    "Snapshot",
    "Write",
]

SAMPLE = 100  # sourcedIds listed per kind and change in a report


@dataclass(slots=True)
class Existing:
    id: uuid.UUID
    status: str
    values: dict[str, Any]
    roles: frozenset[str] = frozenset()
    school_ids: frozenset[uuid.UUID] = frozenset()


@dataclass
class Snapshot:
    """The district's roster as the plan needs it: rows with a sourcedId, by kind."""

    by_kind: dict[str, dict[str, Existing]]
    total_active: int
    usernames: dict[str, uuid.UUID]
    learners: set[uuid.UUID]
    other_orgs: set[str] = field(default_factory=set)  # the district org's own sourcedId
    # guardian links by (guardian id, student id): the link's id and status
    links: dict[tuple[uuid.UUID, uuid.UUID], tuple[uuid.UUID, str]] = field(default_factory=dict)
    # active rows per guard kind (``roster_guard.GUARD_KINDS``), sourcedId or not (a snapshot
    # of only some rows, the webhook's, has them counted by the database); when empty, the
    # guard counts the rows the snapshot holds
    active: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Write:
    id: uuid.UUID
    sourced_id: str
    status: str
    values: dict[str, Any]
    roles: frozenset[str] = frozenset()
    school_ids: frozenset[uuid.UUID] = frozenset()
    changed: tuple[str, ...] = ()
    before: Existing | None = None


@dataclass
class KindPlan:
    creates: list[Write] = field(default_factory=list)
    updates: list[Write] = field(default_factory=list)
    deletes: list[Write] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "created": len(self.creates),
            "updated": len(self.updates),
            "deleted": len(self.deletes),
            "unchanged": self.unchanged,
            "samples": {
                "created": [w.sourced_id for w in self.creates[:SAMPLE]],
                "updated": [
                    {"sourcedId": w.sourced_id, "fields": list(w.changed)}
                    for w in self.updates[:SAMPLE]
                ],
                "deleted": [w.sourced_id for w in self.deletes[:SAMPLE]],
            },
        }


@dataclass(frozen=True, slots=True)
class Link:
    """A guardian link to create (or, if ``reactivate``, an existing one to set active)."""

    id: uuid.UUID
    guardian_id: uuid.UUID
    student_id: uuid.UUID
    relationship: str
    reactivate: bool = False


@dataclass
class Plan:
    kinds: dict[str, KindPlan]
    errors: list[RowError]
    skipped: int
    links: list[Link] = field(default_factory=list)
    # rows written, but not quite as sent (a role out of its dates, a user with no school)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def writes(self) -> int:
        rows = sum(len(p.creates) + len(p.updates) + len(p.deletes) for p in self.kinds.values())
        return rows + len(self.links)

    @property
    def changes(self) -> int:
        """Updates and deletes: what the mass-change guard weighs (creates harm nothing)."""
        return sum(len(p.updates) + len(p.deletes) for p in self.kinds.values())

    def diff(self) -> dict[str, Any]:
        diff = {kind: plan.summary() for kind, plan in self.kinds.items()}
        if "users" in self.kinds:
            reactivated = sum(1 for link in self.links if link.reactivate)
            diff["guardian_links"] = {
                "created": len(self.links) - reactivated,
                "updated": reactivated,
                "deleted": 0,
                "unchanged": 0,
                "samples": {"created": [], "updated": [], "deleted": []},
            }
        return diff
