"""Route-level authorization at the gateway: the same rule the services declare with
``pathwise_shared.access.access``, checked against the caller before anything is forwarded.

``gateway_access(...)`` is the gateway's own counterpart of ``access(...)`` for its own routes:
it takes the public caller (``CallerPrincipal``) instead of an internal token, and publishes the
same ``x-pathwise-access`` rule in the OpenAPI.
"""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import Depends, Request

from pathwise_gateway.domain.objects import object_id_of
from pathwise_gateway.security import CallerPrincipal
from pathwise_gateway.service.access import AccessChecker, enforce
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
    """Route keyword arguments for the gateway's own operations: the same two checks as a
    forwarded call (route level, then the declared object in the path), before the handler."""
    ref = object_ref(learner=learner, class_=class_)
    rule = AccessRule(frozenset(roles), frozenset(scopes), action, ref, frozenset(service_checks))

    async def guard(principal: CallerPrincipal, request: Request) -> Principal:
        object_id = None if ref is None else object_id_of(ref, request.path_params, "", b"")
        checker: AccessChecker = request.app.state.access
        try:
            check_route(rule, principal)
        except Forbidden:
            # Another district's object is not found, whatever the caller's role.
            if ref is not None and object_id is not None:
                decision = await checker.check(principal, "read", ref.kind, str(object_id))
                if not decision.found:
                    enforce(decision, ref.kind)
            raise
        if ref is not None and object_id is not None:
            enforce(await checker.check(principal, action, ref.kind, str(object_id)), ref.kind)
        return principal

    dependency: Callable[..., Awaitable[Principal]] = guard
    return {
        "dependencies": [Depends(dependency)],
        "openapi_extra": {ACCESS_EXTENSION: rule.to_openapi()},
        "responses": problem_responses(401, 403, 404, 422, 429),
    }
