"""Who may do what on a learner, a class or a school: the rules of the access check.

The repository answers one indexed query with the facts (does the object exist in the principal's
district, does the principal teach it, guard it, administer its school…); :func:`decide` turns
those facts into an answer. Keeping the decision pure makes the matrix cheap to test exhaustively.
"""

from dataclasses import dataclass
from typing import Literal

from pathwise_shared.auth import Principal

__all__ = [
    "READ_SCOPES",
    "WRITE_SCOPES",
    "Decision",
    "Relations",
    "TargetKind",
    "decide",
]

TargetKind = Literal["learner", "class", "school"]
READ_SCOPES = frozenset({"profiles:read", "roster:read"})
WRITE_SCOPES = frozenset({"roster:write"})


@dataclass(frozen=True)
class Relations:
    """Facts about the principal and one object, as the repository found them."""

    found: bool
    teaches: bool = False
    """learner: shares an active class with them; class: teaches it; school: belongs to it."""
    guardian_of: bool = False
    is_self: bool = False
    enrolled: bool = False
    """class: the principal (a student) is actively enrolled in it."""
    administers_school: bool = False
    """the object is in one of the principal's schools (for school admins)."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    found: bool
    reason: str


def _user_reason(
    principal: Principal, action: str, target: TargetKind, rel: Relations
) -> str | None:
    """The first role of the principal that grants the action, as a reason; None if none does."""
    if principal.has_role("district_admin"):
        return "district_admin"
    if principal.has_role("school_admin") and rel.administers_school:
        return "school_admin_of_school"
    if principal.has_role("teacher") and rel.teaches:
        if target == "learner":
            return "teacher_of_learner"
        if target == "class":
            return "teacher_of_class"
        if action == "read":
            return "teacher_in_school"
    # Guardians read their children's records; they never edit them.
    if (
        principal.has_role("guardian")
        and target == "learner"
        and rel.guardian_of
        and action == "read"
    ):
        return "guardian_of_learner"
    if principal.has_role("student"):
        if target == "learner" and rel.is_self:
            # The student writes only their own parts; the profile service enforces which.
            return "self"
        if target == "class" and rel.enrolled and action == "read":
            return "enrolled_in_class"
    return None


def _message_reason(principal: Principal, target: TargetKind, rel: Relations) -> str | None:
    if principal.kind != "user" or target != "learner":
        return None
    if principal.has_role("teacher") and rel.teaches:
        return "teacher_of_learner"
    if principal.has_role("guardian") and rel.guardian_of:
        return "guardian_of_learner"
    if principal.has_role("school_admin") and rel.administers_school:
        return "school_admin_of_school"
    if principal.has_role("student") and rel.is_self:
        # Whether the district lets learners into threads is the messages service's rule.
        return "self"
    return None


def decide(principal: Principal, action: str, target: TargetKind, rel: Relations) -> Decision:
    if not rel.found:
        return Decision(allowed=False, found=False, reason="not_found")
    if principal.is_system:
        return Decision(allowed=True, found=True, reason="system")
    if action == "consent":
        # A guardian acting for their own child: only the guardian link grants it. No staff
        # role (a district admin reaches every learner, but consents for none), no client
        # scope, not the learner themself.
        if (
            principal.kind != "client"
            and principal.has_role("guardian")
            and target == "learner"
            and rel.guardian_of
        ):
            return Decision(allowed=True, found=True, reason="guardian_of_learner")
        return Decision(allowed=False, found=True, reason="not_guardian")
    if action == "message":
        # Writing in a thread about the learner: a person related to them, as the relation
        # found (a district admin's role alone reaches every learner, but only to moderate).
        reason = _message_reason(principal, target, rel)
        if reason is None:
            return Decision(allowed=False, found=True, reason="not_related")
        return Decision(allowed=True, found=True, reason=reason)
    if principal.kind == "client":
        needed = READ_SCOPES if action == "read" else WRITE_SCOPES
        if principal.has_scope(*needed):
            return Decision(allowed=True, found=True, reason="client_scope")
        return Decision(allowed=False, found=True, reason="missing_scope")
    reason = _user_reason(principal, action, target, rel)
    if reason is None:
        return Decision(allowed=False, found=True, reason="no_relation")
    return Decision(allowed=True, found=True, reason=reason)
