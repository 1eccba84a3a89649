"""Who may call an operation: declared once on the route, enforced here and at the gateway.

``@router.get(path, **access(roles=STAFF, learner="learner_id"))`` does two things:

- adds a dependency that refuses (403) a user without one of ``roles`` or a client without one of
  ``scopes``; the system principal (our own jobs) always passes;
- publishes the rule as ``x-pathwise-access`` in the service's OpenAPI, from which the gateway
  builds its route table: route-level checks, and the object-level check (``learner``,
  ``class_``, ``school`` name the path parameter that identifies the object) it asks profiles for.
"""

from collections.abc import Callable, Iterable
from typing import Any, Literal

from fastapi import Depends

from pathwise_shared.auth import CurrentPrincipal, Principal
from pathwise_shared.problems import Forbidden, problem_responses

__all__ = [
    "ACCESS_EXTENSION",
    "ADMINS",
    "ALL_USERS",
    "STAFF",
    "Action",
    "access",
    "role_guard",
]

ACCESS_EXTENSION = "x-pathwise-access"
Action = Literal["read", "write"]

ADMINS = frozenset({"school_admin", "district_admin"})
STAFF = frozenset({"teacher"}) | ADMINS
ALL_USERS = STAFF | {"student", "guardian"}


def role_guard(roles: Iterable[str], scopes: Iterable[str]) -> Callable[[Principal], Principal]:
    allowed_roles = frozenset(roles)
    allowed_scopes = frozenset(scopes)

    def guard(principal: CurrentPrincipal) -> Principal:
        if principal.is_system:
            return principal
        if principal.kind == "client":
            if not principal.has_scope(*allowed_scopes):
                raise Forbidden("This client's scopes do not allow this operation.")
        elif not principal.has_role(*allowed_roles):
            raise Forbidden("Your role does not allow this operation.")
        return principal

    return guard


def access(
    *,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    action: Action = "read",
    learner: str | None = None,
    class_: str | None = None,
    school: str | None = None,
) -> dict[str, Any]:
    """Route keyword arguments declaring and enforcing the access rule of one operation."""
    rule: dict[str, Any] = {
        "roles": sorted(roles),
        "scopes": sorted(scopes),
        "action": action,
    }
    for kind, param in (("learner", learner), ("class", class_), ("school", school)):
        if param:
            rule["object"] = {"kind": kind, "param": param}
    return {
        "dependencies": [Depends(role_guard(roles, scopes))],
        "openapi_extra": {ACCESS_EXTENSION: rule},
        "responses": problem_responses(401, 403, 404, 422),
    }
