"""Object-level rules the service enforces itself.

The gateway checks the caller's relation to the learner an operation concerns (named in the path,
the query, the body, or through the attempt); what is left here is what only this service can
decide: which attempts a list without a learner may show, and when answer keys are visible."""

import uuid

from pathwise_shared.access import STAFF
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, UnprocessableContent

__all__ = ["can_see_keys", "is_student_only", "list_scope", "require_self_or_staff"]

# Who may list attempts without naming a learner: those who may see every learner of the district.
_DISTRICT_WIDE = frozenset({"district_admin"})


def is_student_only(principal: Principal) -> bool:
    return principal.kind == "user" and not principal.has_role(*STAFF)


def require_self_or_staff(principal: Principal, learner_id: uuid.UUID) -> None:
    """Students act only for themselves (their user id is their learner id)."""
    if is_student_only(principal) and principal.user_id != learner_id:
        raise Forbidden("Students can only take their own assessments.", slug="not-your-attempt")


def can_see_keys(principal: Principal, finished: bool) -> bool:
    return finished or not is_student_only(principal)


def list_scope(principal: Principal, learner_id: uuid.UUID | None) -> uuid.UUID | None:
    """The learner a list of attempts is restricted to. A student sees their own; a district
    admin or an integration client may list the whole district; anyone else names the learner
    (the gateway has checked the relation), as their reach is a set of classes, not the district.
    """
    if is_student_only(principal):
        return principal.user_id
    if learner_id is None and principal.kind == "user" and not principal.has_role(*_DISTRICT_WIDE):
        raise UnprocessableContent(
            "Name the learner (learner_id): only district admins list every attempt.",
            slug="learner-required",
        )
    return learner_id
