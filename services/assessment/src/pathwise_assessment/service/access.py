"""Object-level rules the service enforces itself (the gateway checks the learner in the path)."""

import uuid

from pathwise_shared.access import STAFF
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden

__all__ = ["can_see_keys", "is_student_only", "require_self_or_staff"]


def is_student_only(principal: Principal) -> bool:
    return principal.kind == "user" and not principal.has_role(*STAFF)


def require_self_or_staff(principal: Principal, learner_id: uuid.UUID) -> None:
    """Students act only for themselves (their user id is their learner id)."""
    if is_student_only(principal) and principal.user_id != learner_id:
        raise Forbidden("Students can only take their own assessments.", slug="not-your-attempt")


def can_see_keys(principal: Principal, finished: bool) -> bool:
    return finished or not is_student_only(principal)
