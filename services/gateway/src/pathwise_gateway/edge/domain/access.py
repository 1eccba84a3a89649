"""The route-level rule, checked against the caller: the same rule the services declare with
``pathwise_shared.access.access``. Pure: the object-level half lives in the proxy feature."""

from pathwise_shared.access import AccessRule
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, Unauthorized

__all__ = ["check_route", "unauthorized_anonymous"]


def check_route(rule: AccessRule, principal: Principal) -> None:
    """403 unless the caller's role (user) or scope (client) is one the rule allows; anyone
    may call an anonymous operation, and only an anonymous one is open to a caller without a
    token (the anonymous principal has no role or scope, so every other rule refuses it)."""
    if rule.anonymous:
        return
    if principal.kind == "client":
        if not principal.has_scope(*rule.scopes):
            raise Forbidden(
                "This client's scopes do not allow this operation.", slug="forbidden-scope"
            )
    elif principal.kind == "user":
        if not principal.has_role(*rule.roles):
            raise Forbidden("Your role does not allow this operation.", slug="forbidden-role")
    elif principal.kind == "anonymous":
        raise unauthorized_anonymous()
    else:
        raise Forbidden("System principals do not call the public API.", slug="forbidden-role")


def unauthorized_anonymous() -> Unauthorized:
    """A tokenless caller reaching an operation that is not anonymous: the 401 any tokenless
    call gets (never a 403 that would confirm the route's rule)."""
    return Unauthorized(
        "A bearer token is required.",
        slug="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="pathwise"'},
    )
