"""Route-level authorization at the gateway: the same rule the services declare with
``pathwise_shared.access.access``, checked against the caller before anything is forwarded.

``gateway_access(...)`` is the gateway's own counterpart of ``access(...)`` for its own routes:
it takes the public caller (``CallerPrincipal``) instead of an internal token, and publishes the
same ``x-pathwise-access`` rule in the OpenAPI.
"""

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Depends

from pathwise_gateway.security import CallerPrincipal
from pathwise_shared.access import (
    ACCESS_EXTENSION,
    AccessRule,
    Action,
    ObjectKind,
    ObjectRef,
    object_ref,
)
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, problem_responses

__all__ = ["AccessRule", "ObjectKind", "ObjectRef", "check_route", "gateway_access"]


def check_route(rule: AccessRule, principal: Principal) -> None:
    """403 unless the caller's role (user) or scope (client) is one the rule allows."""
    if principal.kind == "client":
        if not principal.has_scope(*rule.scopes):
            raise Forbidden(
                "This client's scopes do not allow this operation.", slug="forbidden-scope"
            )
    elif principal.kind == "user":
        if not principal.has_role(*rule.roles):
            raise Forbidden("Your role does not allow this operation.", slug="forbidden-role")
    else:
        raise Forbidden("System principals do not call the public API.", slug="forbidden-role")


def gateway_access(
    *,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    action: Action = "read",
    learner: str | None = None,
    class_: str | None = None,
    service_checks: Iterable[str] = (),
) -> dict[str, Any]:
    """Route keyword arguments for the gateway's own operations (route-level check only: the
    handlers run the object-level check themselves, as they know the object)."""
    ref = object_ref(learner=learner, class_=class_)
    rule = AccessRule(frozenset(roles), frozenset(scopes), action, ref, frozenset(service_checks))

    def guard(principal: CallerPrincipal) -> Principal:
        check_route(rule, principal)
        return principal

    dependency: Callable[..., Principal] = guard
    return {
        "dependencies": [Depends(dependency)],
        "openapi_extra": {ACCESS_EXTENSION: rule.to_openapi()},
        "responses": problem_responses(401, 403, 404, 422, 429),
    }
