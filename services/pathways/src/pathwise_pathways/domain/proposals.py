"""A plan the learner drafts (docs/pathways.md, "A plan the learner drafts"): the rules of a
proposal that need no database: which role a change is recorded under, which statuses may be
edited, approved or returned, and whether the learner's order of steps keeps every skill after
its prerequisites (transitively: a skill cannot come before a prerequisite of a prerequisite)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pathwise_pathways.domain.graph import SkillGraph
from pathwise_shared.auth import Principal
from pathwise_shared.problems import (
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableContent,
)

__all__ = [
    "EDITABLE",
    "ROLE_ORDER",
    "OrderConflict",
    "check_order",
    "order_conflict",
    "proposal_etag",
    "require_match",
    "require_status",
    "role_of",
    "unknown_codes",
]

# Statuses a proposal may be edited in; ``approved`` is final (a new plan is a new proposal).
EDITABLE = frozenset({"proposed", "returned"})

# The role a change is recorded under: the highest a user holds, so a teacher who is also a
# guardian is recorded as the teacher they acted as on a staff route.
ROLE_ORDER = ("district_admin", "school_admin", "teacher", "guardian", "student")


def role_of(principal: Principal) -> str:
    """``student``, ``teacher``, … for a user; ``client`` or ``system`` otherwise."""
    if principal.kind != "user":
        return principal.kind
    return next((r for r in ROLE_ORDER if principal.has_role(r)), "user")


def proposal_etag(version: int) -> str:
    return f'"proposal-{version}"'


def require_match(if_match: str | None, version: int) -> None:
    """An edit or a decision names the version it read (``If-Match``): 428 without, 412 when
    the proposal moved since (someone else edited, returned or approved it)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of the proposal you read.", slug="precondition-required"
        )
    current = proposal_etag(version)
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(
            f"The proposal changed since you read it (current ETag {current}): read it again.",
            slug="precondition-failed",
            current_etag=current,
        )


def require_status(status: str, allowed: Iterable[str], action: str) -> None:
    allowed = frozenset(allowed)
    if status not in allowed:
        raise Conflict(
            f"The proposal is {status}; it cannot be {action} "
            f"(only when {' or '.join(sorted(allowed))}).",
            slug="proposal-status",
            proposal_status=status,
        )


def unknown_codes(graph: SkillGraph, codes: Iterable[str]) -> list[str]:
    return sorted({c for c in codes if c not in graph.index})


@dataclass(frozen=True)
class OrderConflict:
    skill_code: str
    prerequisite: str


def _ancestors(graph: SkillGraph, code: str) -> set[int]:
    seen: set[int] = set()
    stack = list(graph.prereqs[graph.index[code]])
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.prereqs[node])
    return seen


def order_conflict(graph: SkillGraph, order: Sequence[str]) -> OrderConflict | None:
    """The first skill of ``order`` placed before one of its (transitive) prerequisites, if any.
    Codes not in the graph are the caller's to report (unknown skills)."""
    position = {code: i for i, code in enumerate(order) if code in graph.index}
    for code, i in position.items():
        for node in sorted(_ancestors(graph, code)):
            prereq = graph.codes[node]
            if position.get(prereq, -1) > i:
                return OrderConflict(code, prereq)
    return None


def check_order(graph: SkillGraph, order: Sequence[str]) -> None:
    """422 for a code given twice, 409 ``prerequisite-order`` (as a teacher's reorder reports)
    for a skill before one of its prerequisites."""
    repeated = sorted({c for c in order if list(order).count(c) > 1})
    if repeated:
        raise UnprocessableContent(
            "The order names a skill more than once: " + ", ".join(repeated),
            slug="invalid-order",
            codes=repeated,
        )
    conflict = order_conflict(graph, order)
    if conflict is not None:
        raise Conflict(
            f"{conflict.skill_code} cannot come before its prerequisite {conflict.prerequisite}.",
            slug="prerequisite-order",
            skill_code=conflict.skill_code,
            prerequisite=conflict.prerequisite,
        )
