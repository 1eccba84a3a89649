"""Who may call an operation: declared once on the route, enforced here and at the gateway.

``@router.get(path, **access(roles=STAFF, learner="learner_id"))`` does two things:

- adds a dependency that refuses (403) a user without one of ``roles`` or a client without one of
  ``scopes``; the system principal (our own jobs) always passes;
- publishes the rule as ``x-pathwise-access`` in the service's OpenAPI, from which the gateway
  builds its route table: the route-level check, and the object-level check of the object the
  operation concerns.

The object is declared, not discovered: ``learner=``, ``class_=``, ``school=`` or ``attempt=``
name the parameter that identifies it, and ``source`` says where that parameter is (the path, the
query string or the JSON body). The gateway resolves an attempt to its learner (asking the
service that owns attempts) and then runs the same relation check as for a learner named in the
path. ``AccessRule`` is the one definition of a rule: this module writes it into the OpenAPI and
the gateway reads it back with ``AccessRule.from_openapi``.

``OBJECT_PARAMS`` lists the parameter names that always identify an object; a test walks every
public operation of every service and fails when one of them appears in a path, a query or a
body without a declaration, so a new route cannot forget its object check.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from fastapi import Depends

from pathwise_shared.auth import CurrentPrincipal, Principal
from pathwise_shared.problems import Forbidden, problem_responses

__all__ = [
    "ACCESS_EXTENSION",
    "ACTIONS",
    "ADMINS",
    "ALL_USERS",
    "OBJECT_PARAMS",
    "ONEROSTER_BASE",
    "PUBLIC_PREFIXES",
    "STAFF",
    "AccessRule",
    "Action",
    "ObjectKind",
    "ObjectRef",
    "ObjectSource",
    "access",
    "is_public_path",
    "role_guard",
]

ACCESS_EXTENSION = "x-pathwise-access"
# "consent": a guardian acting for their own child (a consent to an off-site activity): not an
# edit of the child's records (guardians never write those) and not a read either. Profiles
# grants it to a guardian of the learner only: no other relation, no staff role, no client scope.
# "message": taking part in a thread about the learner (docs/profiles.md, "Messages"): their
# teachers, guardians, school administrators and the learner; no client scope, and not a
# district administrator by that role alone (they read threads to moderate, never write).
Action = Literal["read", "write", "consent", "message"]
ACTIONS: frozenset[str] = frozenset(get_args(Action))
ObjectKind = Literal["learner", "class", "school", "attempt"]
ObjectSource = Literal["path", "query", "body"]

# The public API: our own ``/v1`` and the OneRoster 1.2 rostering read API under the base path the
# specification gives it (apps configure a host and expect this path after it). The gateway routes
# both and the declaration checks walk both.
ONEROSTER_BASE = "/ims/oneroster/rostering/v1p2"
PUBLIC_PREFIXES = ("/v1/", ONEROSTER_BASE + "/")

ADMINS = frozenset({"school_admin", "district_admin"})
STAFF = frozenset({"teacher"}) | ADMINS
ALL_USERS = STAFF | {"student", "guardian"}

# A parameter of one of these names, anywhere in a public operation, identifies an object about a
# learner: the operation must declare it (see tests/test_access_declarations.py).
OBJECT_PARAMS: Mapping[str, ObjectKind] = {
    "learner_id": "learner",
    "class_id": "class",
    "school_id": "school",
    "attempt_id": "attempt",
}
_KINDS = frozenset(get_args(ObjectKind))
_SOURCES = frozenset(get_args(ObjectSource))


def is_public_path(path: str) -> bool:
    """Whether an operation's path is part of the public API (else internal or health)."""
    return path.startswith(PUBLIC_PREFIXES)


@dataclass(frozen=True)
class ObjectRef:
    """The object an operation concerns: its kind, the parameter naming it and where that is.

    A path or body parameter is required (a body without it is refused before it is forwarded);
    a query parameter is optional: absent, the operation lists only what the service scopes to
    the caller."""

    kind: ObjectKind
    param: str
    source: ObjectSource = "path"


@dataclass(frozen=True)
class AccessRule:
    roles: frozenset[str]
    scopes: frozenset[str]
    action: Action
    object: ObjectRef | None = None
    # Other parameters naming an object (a school in a roster write, a class filter of an admin
    # list) whose rule only the owning service can apply; it does, and says so here.
    service_checks: frozenset[str] = frozenset()
    # Callable without a token (public keys, a verification anyone may ask for): the gateway
    # forwards a tokenless call to such an operation, and to no other, with an internal token
    # for the anonymous principal (``pathwise_shared.auth.ANONYMOUS``). Roles, scopes and an
    # object are then meaningless and refused by ``access``.
    anonymous: bool = False

    @classmethod
    def from_openapi(cls, raw: Any) -> "AccessRule | None":
        """The rule a service published, or None when it is missing or not understood (the
        gateway then does not expose the operation: it never forwards what it cannot check)."""
        if not isinstance(raw, dict):
            return None
        action = raw.get("action")
        if action not in ACTIONS:
            return None
        roles = raw.get("roles") or []
        scopes = raw.get("scopes") or []
        if not isinstance(roles, list) or not isinstance(scopes, list):
            return None
        ref = None
        obj = raw.get("object")
        if obj is not None:
            if not isinstance(obj, dict):
                return None
            kind, param, source = obj.get("kind"), obj.get("param"), obj.get("in", "path")
            if kind not in _KINDS or not isinstance(param, str) or source not in _SOURCES:
                return None
            ref = ObjectRef(cast(ObjectKind, kind), param, cast(ObjectSource, source))
        checks = raw.get("service_checks") or []
        if not isinstance(checks, list):
            return None
        anonymous = raw.get("anonymous", False)
        # Anything but a plain true is not anonymous; an anonymous rule that also names roles or
        # an object is not understood (never exposed) rather than guessed at.
        if not isinstance(anonymous, bool) or (anonymous and (roles or scopes or ref)):
            return None
        return cls(
            frozenset(map(str, roles)),
            frozenset(map(str, scopes)),
            action,
            ref,
            frozenset(map(str, checks)),
            anonymous,
        )

    def to_openapi(self) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "roles": sorted(self.roles),
            "scopes": sorted(self.scopes),
            "action": self.action,
        }
        if self.service_checks:
            rule["service_checks"] = sorted(self.service_checks)
        if self.anonymous:
            rule["anonymous"] = True
        if self.object is not None:
            rule["object"] = {
                "kind": self.object.kind,
                "param": self.object.param,
                "in": self.object.source,
            }
        return rule


def role_guard(
    roles: Iterable[str], scopes: Iterable[str]
) -> Callable[[Principal], Awaitable[Principal]]:
    allowed_roles = frozenset(roles)
    allowed_scopes = frozenset(scopes)

    # Async on purpose, as every dependency: FastAPI runs a plain ``def`` in a worker thread, and
    # that hand-off cost more than the check itself on every request (tests/test_dependencies.py).
    async def guard(principal: CurrentPrincipal) -> Principal:
        if principal.is_system:
            return principal
        if principal.kind == "client":
            if not principal.has_scope(*allowed_scopes):
                raise Forbidden("This client's scopes do not allow this operation.")
        elif not principal.has_role(*allowed_roles):
            raise Forbidden("Your role does not allow this operation.")
        return principal

    return guard


async def _anyone(principal: CurrentPrincipal) -> Principal:
    """The guard of an anonymous operation: any verified internal token (the gateway's call for
    a tokenless caller carries the anonymous principal), nothing more."""
    return principal


def object_ref(
    *,
    learner: str | None = None,
    class_: str | None = None,
    school: str | None = None,
    attempt: str | None = None,
    source: ObjectSource = "path",
) -> ObjectRef | None:
    candidates: tuple[tuple[ObjectKind, str | None], ...] = (
        ("learner", learner), ("class", class_), ("school", school), ("attempt", attempt)
    )  # fmt: skip
    named = [ObjectRef(kind, param, source) for kind, param in candidates if param]
    if len(named) > 1:
        raise ValueError("An operation concerns one object; declare the one it acts on.")
    return named[0] if named else None


def access(
    *,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    action: Action = "read",
    learner: str | None = None,
    class_: str | None = None,
    school: str | None = None,
    attempt: str | None = None,
    source: ObjectSource = "path",
    service_checks: Iterable[str] = (),
    anonymous: bool = False,
) -> dict[str, Any]:
    """Route keyword arguments declaring and enforcing the access rule of one operation.

    ``anonymous=True``: anyone may call it, with or without a token (docs/security.md,
    "Anonymous operations"); it takes no roles, scopes or object, and must not read anything
    the caller's identity would have to scope."""
    rule = AccessRule(
        frozenset(roles),
        frozenset(scopes),
        action,
        object_ref(learner=learner, class_=class_, school=school, attempt=attempt, source=source),
        frozenset(service_checks),
        anonymous,
    )
    if anonymous:
        if rule.roles or rule.scopes or rule.object is not None or rule.action != "read":
            raise ValueError("An anonymous operation declares no roles, scopes or object.")
        return {
            "dependencies": [Depends(_anyone)],
            # ``security: []`` marks it tokenless in the gateway's public OpenAPI.
            "openapi_extra": {ACCESS_EXTENSION: rule.to_openapi(), "security": []},
            "responses": problem_responses(404, 422),
        }
    return {
        "dependencies": [Depends(role_guard(roles, scopes))],
        "openapi_extra": {ACCESS_EXTENSION: rule.to_openapi()},
        "responses": problem_responses(401, 403, 404, 422),
    }
