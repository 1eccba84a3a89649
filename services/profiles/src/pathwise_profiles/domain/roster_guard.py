"""The mass-change guard of roster imports, per kind of record.

A whole-roster share hides the harm that matters: deleting every student of a district is a
quarter of a roster that also counts enrollments, classes and guardians, so it passed a 50 %
limit. Each kind (users by role, schools, sessions, courses, classes, enrollments, guardian
links) is therefore weighed on its own: the rows of the kind a plan updates or marks
``tobedeleted``, against the kind's active rows in the district, with its own limit.
Creates harm nothing and are not weighed. A kind trips when its share is over its limit and at
least ``min_rows`` of its rows change (renaming the only school of a district is 100 % of its
schools, and harmless).

Pure: the plan and the snapshot's counts come in, the verdict and its report go out.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pathwise_profiles.domain.roster_plan import Plan, Snapshot, Write

__all__ = [
    "DEFAULT_MAX_SHARE",
    "DEFAULT_MIN_ROWS",
    "GUARD_KINDS",
    "GuardLimits",
    "GuardVerdict",
    "KindCount",
    "active_counts",
    "check_guard",
    "guard_kind_counts",
]

USER_ROLES = ("student", "teacher", "guardian", "school_admin", "district_admin")
GUARD_KINDS = (
    "schools",
    "sessions",
    "courses",
    "classes",
    *(f"users:{role}" for role in USER_ROLES),
    "enrollments",
    "guardian_links",
)
# People and schools are what a bad export hurts most (logins lost, learner.deleted sent to every
# app), and a normal sync changes a few percent of them; classes, enrollments and sessions turn
# over by half at a term change, so their limit is wider. Admins are few, so a share of them
# moves fast: their limit is wider too, and ``min_rows`` keeps one admin's change from tripping.
DEFAULT_MAX_SHARE: Mapping[str, float] = {
    "schools": 0.2,
    "sessions": 0.5,
    "courses": 0.5,
    "classes": 0.5,
    "users:student": 0.2,
    "users:teacher": 0.2,
    "users:guardian": 0.2,
    "users:school_admin": 0.5,
    "users:district_admin": 0.5,
    "enrollments": 0.5,
    "guardian_links": 0.5,
}
DEFAULT_MIN_ROWS = 3

_LABELS = {
    "schools": "schools",
    "sessions": "academic sessions",
    "courses": "courses",
    "classes": "classes",
    "users:student": "students",
    "users:teacher": "teachers",
    "users:guardian": "guardians",
    "users:school_admin": "school admins",
    "users:district_admin": "district admins",
    "enrollments": "enrollments",
    "guardian_links": "guardian links",
}


@dataclass(frozen=True)
class GuardLimits:
    """The limit of each guard kind (a share of its active rows, 0 < limit <= 1) and the
    number of changed rows below which no kind trips."""

    max_share: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MAX_SHARE))
    min_rows: int = DEFAULT_MIN_ROWS

    @classmethod
    def with_overrides(
        cls, overrides: Mapping[str, float], min_rows: int = DEFAULT_MIN_ROWS
    ) -> "GuardLimits":
        unknown = sorted(set(overrides) - set(GUARD_KINDS))
        if unknown:
            raise ValueError(
                f"unknown guard kind(s) {', '.join(unknown)}; known: {', '.join(GUARD_KINDS)}"
            )
        bad = sorted(k for k, v in overrides.items() if not 0 < v <= 1)
        if bad:
            raise ValueError(f"guard limit(s) of {', '.join(bad)} must be > 0 and <= 1")
        if min_rows < 1:
            raise ValueError("the guard's min_rows must be at least 1")
        return cls({**DEFAULT_MAX_SHARE, **overrides}, min_rows)


@dataclass
class KindCount:
    active: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.updated + self.deleted


@dataclass
class GuardVerdict:
    counts: dict[str, KindCount]
    limits: GuardLimits
    tripped: list[str]

    def share(self, kind: str) -> float:
        count = self.counts[kind]
        return count.changed / count.active if count.active else 0.0

    def report(self) -> dict[str, Any]:
        """Per guard kind: the district's active rows, what the plan creates, updates and
        deletes, the changed share and the limit (the dry run's diff by kind and role)."""
        return {
            "tripped": list(self.tripped),
            "min_rows": self.limits.min_rows,
            "kinds": {
                kind: {
                    "active": count.active,
                    "created": count.created,
                    "updated": count.updated,
                    "deleted": count.deleted,
                    "changed_share": round(self.share(kind), 4),
                    "max_share": self.limits.max_share[kind],
                    "tripped": kind in self.tripped,
                }
                for kind, count in self.counts.items()
                if count.active or count.created or count.changed
            },
        }

    def message(
        self,
        what: str = "This run",
        then: str = "Check the diff (report.guard.kinds lists each kind), then send force=true "
        "to apply it.",
    ) -> str:
        """Each tripped kind with its counts and limit; ``what`` changes and what to do
        ``then`` are the caller's (an import job, an inbound batch)."""
        parts = [
            f"{self.counts[k].changed} of {self.counts[k].active} active {_LABELS[k]} "
            f"({self.share(k):.0%}; the limit is {self.limits.max_share[k]:.0%})"
            for k in self.tripped
        ]
        return f"{what} would change or delete {_and(parts)}; nothing was written. {then}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _user_kinds(roles: Iterable[str]) -> list[str]:
    return [f"users:{role}" for role in sorted(set(roles)) if role in USER_ROLES]


def guard_kind_counts(plan: Plan, active: Mapping[str, int]) -> dict[str, KindCount]:
    """What the plan does to each guard kind; ``active`` holds the district's active rows per
    guard kind. A user counts under each of its roles, before and after the change (a student
    made a teacher is a changed student and a changed teacher)."""
    counts = {kind: KindCount(active=active.get(kind, 0)) for kind in GUARD_KINDS}
    for kind, kind_plan in plan.kinds.items():
        if kind == "users":
            _count_users(counts, kind_plan.creates, kind_plan.updates, kind_plan.deletes)
            continue
        count = counts[kind]
        count.created += len(kind_plan.creates)
        count.updated += len(kind_plan.updates)
        count.deleted += len(kind_plan.deletes)
    links = counts["guardian_links"]
    for link in plan.links:
        if link.reactivate:
            links.updated += 1
        else:
            links.created += 1
    return counts


def _count_users(
    counts: dict[str, KindCount], creates: list[Write], updates: list[Write], deletes: list[Write]
) -> None:
    for write in creates:
        for kind in _user_kinds(write.roles):
            counts[kind].created += 1
    for write in updates:
        before = write.before.roles if write.before is not None else frozenset()
        for kind in _user_kinds(write.roles | before):
            counts[kind].updated += 1
    for write in deletes:
        for kind in _user_kinds(write.roles):
            counts[kind].deleted += 1


def active_counts(snapshot: Snapshot) -> dict[str, int]:
    """The snapshot's active rows per guard kind: as loaded (every active row of the district,
    with or without a sourcedId), else counted from the rows it holds."""
    if snapshot.active:
        return dict(snapshot.active)
    counts: dict[str, int] = {}
    for kind, rows in snapshot.by_kind.items():
        for existing in rows.values():
            if existing.status != "active":
                continue
            if kind == "users":
                for name in _user_kinds(existing.roles):
                    counts[name] = counts.get(name, 0) + 1
            else:
                counts[kind] = counts.get(kind, 0) + 1
    counts["guardian_links"] = sum(1 for _, s in snapshot.links.values() if s == "active")
    return counts


def check_guard(plan: Plan, snapshot: Snapshot, limits: GuardLimits) -> GuardVerdict:
    counts = guard_kind_counts(plan, active_counts(snapshot))
    tripped = [
        kind
        for kind, count in counts.items()
        if count.changed >= limits.min_rows
        and count.active
        and count.changed / count.active > limits.max_share[kind]
    ]
    return GuardVerdict(counts, limits, tripped)
