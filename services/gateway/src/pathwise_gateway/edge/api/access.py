"""Route-level authorization of the gateway's own routes.

``gateway_access(...)`` is the gateway's own counterpart of ``pathwise_shared.access.access`` for
its own routes: it takes the public caller (``CallerPrincipal``) instead of an internal token, and
publishes the same ``x-pathwise-access`` rule in the OpenAPI. The route-level check is the edge's
(:func:`pathwise_gateway.edge.domain.access.check_route`); a rule that names an object in the path
is handed to the object-level check, which is the proxy's (its access checker, found on the app as an
:class:`ObjectAccess`, so the edge never imports the proxy).
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from fastapi import Depends, Request

from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.edge.domain.access import check_route
from pathwise_shared.access import (
    ACCESS_EXTENSION,
    AccessRule,
    Action,
    ObjectKind,
    ObjectRef,
    object_ref,
)
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, NotFound, problem_responses

__all__ = [
    "AccessRule",
    "ObjectAccess",
    "ObjectKind",
    "ObjectRef",
    "check_route",
    "gateway_access",
]


class ObjectAccess(Protocol):
    """The object-level half of a gateway route's rule (the proxy's ``AccessChecker``)."""

    async def authorize_route(
        self, rule: AccessRule, principal: Principal, path_params: Mapping[str, str]
    ) -> None:
        """The route check and then the object named in the path: 404 for another district's
        object whatever the caller's role, else 403 or nothing."""


def _object_access(request: Request) -> ObjectAccess:
    # Set by the proxy's start-up hook; read only for rules that name an object.
    access: ObjectAccess = request.app.state.access
    return access


def gateway_access(
    *,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    action: Action = "read",
    learner: str | None = None,
    class_: str | None = None,
    service_checks: Iterable[str] = (),
    refused_as_not_found: bool = False,
) -> dict[str, Any]:
    """Route keyword arguments for the gateway's own operations: the same two checks as a
    forwarded call (route level, then the declared object in the path), before the handler.

    ``refused_as_not_found``: an object the caller has no relation to answers 404, as one that
    does not exist (a route over the caller's own things, such as ``/v1/me/children/{id}``,
    where "not yours" is "not here"); a role the route does not serve is still 403."""
    ref = object_ref(learner=learner, class_=class_)
    rule = AccessRule(frozenset(roles), frozenset(scopes), action, ref, frozenset(service_checks))

    async def guard(principal: CallerPrincipal, request: Request) -> Principal:
        if ref is None:
            check_route(rule, principal)
        else:
            access: ObjectAccess = _object_access(request)
            try:
                await access.authorize_route(rule, principal, request.path_params)
            except Forbidden as exc:
                if not refused_as_not_found or exc.extensions.get("check") != "object":
                    raise
                raise NotFound(
                    f"No such {ref.kind} of yours.", slug=f"{ref.kind}-not-found", check="object"
                ) from None
        return principal

    dependency: Callable[..., Awaitable[Principal]] = guard
    return {
        "dependencies": [Depends(dependency)],
        "openapi_extra": {ACCESS_EXTENSION: rule.to_openapi()},
        "responses": problem_responses(401, 403, 404, 422, 429),
    }
