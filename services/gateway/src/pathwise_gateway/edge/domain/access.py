"""The route-level rule, checked against the caller: the same rule the services declare with
``pathwise_shared.access.access``. Pure: the object-level half lives in the proxy feature."""

from pathwise_shared.access import AccessRule
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden

__all__ = ["check_route"]


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
