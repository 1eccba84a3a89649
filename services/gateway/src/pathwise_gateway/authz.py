"""Route-level authorization at the gateway: the same rule the services declare with
``pathwise_shared.access.access``, checked against the caller before anything is forwarded.

``gateway_access(...)`` is the gateway's own counterpart of ``access(...)`` for its own routes:
it takes the public caller (``CallerPrincipal``) instead of an internal token, and publishes the
same ``x-pathwise-access`` rule in the OpenAPI.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends

from pathwise_gateway.security import CallerPrincipal
from pathwise_shared.access import ACCESS_EXTENSION
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, problem_responses

__all__ = ["AccessRule", "ObjectKind", "ObjectRef", "check_route", "gateway_access"]

ObjectKind = Literal["learner", "class", "school"]


@dataclass(frozen=True)
class ObjectRef:
    kind: ObjectKind
    param: str


@dataclass(frozen=True)
class AccessRule:
    roles: frozenset[str]
    scopes: frozenset[str]
    action: Literal["read", "write"]
    object: ObjectRef | None = None

    @classmethod
    def from_openapi(cls, raw: Any) -> "AccessRule | None":
        """The rule a service published, or None when it is missing or not understood."""
        if not isinstance(raw, dict):
            return None
        action = raw.get("action")
        if action not in ("read", "write"):
            return None
        roles = raw.get("roles") or []
        scopes = raw.get("scopes") or []
        if not isinstance(roles, list) or not isinstance(scopes, list):
            return None
        ref = None
        obj = raw.get("object")
        if isinstance(obj, dict):
            kind, param = obj.get("kind"), obj.get("param")
            if kind not in ("learner", "class", "school") or not isinstance(param, str):
                return None
            ref = ObjectRef(kind, param)
        return cls(frozenset(map(str, roles)), frozenset(map(str, scopes)), action, ref)

    def to_openapi(self) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "roles": sorted(self.roles),
            "scopes": sorted(self.scopes),
            "action": self.action,
        }
        if self.object is not None:
            rule["object"] = {"kind": self.object.kind, "param": self.object.param}
        return rule


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
    action: Literal["read", "write"] = "read",
    learner: str | None = None,
    class_: str | None = None,
) -> dict[str, Any]:
    """Route keyword arguments for the gateway's own operations (route-level check only: the
    handlers run the object-level check themselves, as they know the object)."""
    ref = None
    if learner:
        ref = ObjectRef("learner", learner)
    elif class_:
        ref = ObjectRef("class", class_)
    rule = AccessRule(frozenset(roles), frozenset(scopes), action, ref)

    def guard(principal: CallerPrincipal) -> Principal:
        check_route(rule, principal)
        return principal

    dependency: Callable[..., Principal] = guard
    return {
        "dependencies": [Depends(dependency)],
        "openapi_extra": {ACCESS_EXTENSION: rule.to_openapi()},
        "responses": problem_responses(401, 403, 404, 422, 429),
    }
