"""Object-level checks: may this principal read or change this learner, class or school, or an
object that belongs to one learner (an attempt)?

Profiles decides about learners, classes and schools (``POST /internal/access-check``). An object
that lives in another service and belongs to one learner is first resolved to that learner by its
owning service (``GET /internal/owners/{kind}/{id}``), then checked exactly like the learner: one
relation rule for every route, whichever service holds the data. Decisions are cached briefly,
keyed by principal, action and object, so a page of calls about one learner costs one check; the
owner of an object never changes, so that answer is kept longer (bounded).

Concurrent misses for the same key are coalesced: the first starts the upstream call, the others
await that same call (a class opening the same page at once costs one check, not thirty). The
call runs as its own task, shielded, so a caller that goes away does not cancel it for the
others; its failure is every waiter's failure, and nothing failed is cached.
"""

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pathwise_gateway.edge.domain.access import check_route
from pathwise_gateway.proxy.domain.objects import object_id_of
from pathwise_gateway.proxy.service.upstreams import Upstream, failure_reason
from pathwise_shared.access import AccessRule
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, NotFound, Problem, ServiceUnavailable

__all__ = ["OWNING_SERVICE", "AccessChecker", "AccessDecision", "enforce"]

_MAX_ENTRIES = 50_000
# Objects that belong to one learner and live outside profiles: the service that can name it.
OWNING_SERVICE: Mapping[str, str] = {"attempt": "assessment"}
_PROFILES_FIELD = {"learner": "learner_id", "class": "class_id", "school": "school_id"}


@dataclass(frozen=True)
class AccessDecision:
    found: bool
    allowed: bool
    reason: str = ""
    learner_id: uuid.UUID | None = None  # the learner the object belongs to, when it is one's


def enforce(decision: AccessDecision, kind: str) -> None:
    """Not found in the caller's district → 404 (even when it exists elsewhere); else 403."""
    if not decision.found:
        raise NotFound(f"No such {kind}.", slug=f"{kind}-not-found", check="object")
    if not decision.allowed:
        raise Forbidden(
            f"You may not access this {kind}.", slug=f"{kind}-forbidden", check="object"
        )


_UNKNOWN = AccessDecision(found=False, allowed=False, reason="unknown object")


class AccessChecker:
    def __init__(
        self,
        profiles: Upstream,
        ttl_seconds: float = 5.0,
        owners: Mapping[str, Upstream] | None = None,
    ) -> None:
        self._profiles = profiles
        self._owners = dict(owners or {})
        self._ttl = ttl_seconds
        self._cache: dict[tuple[Any, ...], tuple[float, AccessDecision]] = {}
        self._owner_of: dict[tuple[uuid.UUID | None, str, str], uuid.UUID] = {}
        # Upstream calls in flight, by cache key: later misses for the same key await these.
        self._asking: dict[tuple[Any, ...], asyncio.Task[AccessDecision]] = {}
        self._resolving: dict[
            tuple[uuid.UUID | None, str, str], asyncio.Task[uuid.UUID | None]
        ] = {}

    async def authorize_route(
        self, rule: AccessRule, principal: Principal, path_params: Mapping[str, str]
    ) -> None:
        """A gateway route's rule (``edge.api.access.gateway_access``): the route check, then
        the object its path names."""
        ref = rule.object
        object_id = None if ref is None else object_id_of(ref, path_params, "", b"")
        try:
            check_route(rule, principal)
        except Forbidden:
            # Another district's object is not found, whatever the caller's role.
            if ref is not None and object_id is not None:
                decision = await self.check(principal, "read", ref.kind, str(object_id))
                if not decision.found:
                    enforce(decision, ref.kind)
            raise
        if ref is not None and object_id is not None:
            enforce(await self.check(principal, rule.action, ref.kind, str(object_id)), ref.kind)

    async def check(
        self, principal: Principal, action: str, kind: str, object_id: str
    ) -> AccessDecision:
        if kind in OWNING_SERVICE:
            learner = await self._owner(principal, kind, object_id)
            if learner is None:
                return _UNKNOWN
            decision = await self.check(principal, action, "learner", str(learner))
            return AccessDecision(decision.found, decision.allowed, decision.reason, learner)
        key = (
            principal.subject,
            principal.kind,
            principal.district_id,
            principal.roles,
            principal.scopes,
            action,
            kind,
            object_id,
        )
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        pending = self._asking.get(key)
        if pending is None:
            pending = asyncio.ensure_future(
                self._ask_and_keep(key, principal, action, kind, object_id)
            )
            self._asking[key] = pending
            pending.add_done_callback(lambda _: self._asking.pop(key, None))
        return await asyncio.shield(pending)

    async def _ask_and_keep(
        self, key: tuple[Any, ...], principal: Principal, action: str, kind: str, object_id: str
    ) -> AccessDecision:
        now = time.monotonic()
        decision = await self._ask(principal, action, kind, object_id)
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[key] = (now, decision)
        return decision

    async def _owner(self, principal: Principal, kind: str, object_id: str) -> uuid.UUID | None:
        """The learner an object belongs to, in the caller's district; None when there is none.
        Only found owners are remembered: an id that names nothing yet may name something later."""
        key = (principal.district_id, kind, object_id)
        known = self._owner_of.get(key)
        if known is not None:
            return known
        pending = self._resolving.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._resolve_owner(key, principal, kind, object_id))
            self._resolving[key] = pending
            pending.add_done_callback(lambda _: self._resolving.pop(key, None))
        return await asyncio.shield(pending)

    async def _resolve_owner(
        self,
        key: tuple[uuid.UUID | None, str, str],
        principal: Principal,
        kind: str,
        object_id: str,
    ) -> uuid.UUID | None:
        upstream = self._owners.get(kind)
        if upstream is None:  # a kind the gateway was not told how to resolve: never open
            raise ServiceUnavailable(
                f"The owner of a {kind} cannot be checked.", headers={"Retry-After": "5"}
            )
        answer = await self._call(
            upstream, "GET", f"/internal/owners/{kind}/{object_id}", principal
        )
        if answer is None:
            return None
        try:
            learner = uuid.UUID(str(answer.get("learner_id")))
        except ValueError:
            return None
        if len(self._owner_of) >= _MAX_ENTRIES:
            self._owner_of.clear()
        self._owner_of[key] = learner
        return learner

    async def _ask(
        self, principal: Principal, action: str, kind: str, object_id: str
    ) -> AccessDecision:
        answer = await self._call(
            self._profiles,
            "POST",
            "/internal/access-check",
            principal,
            json={"action": action, _PROFILES_FIELD[kind]: object_id},
        )
        if answer is None:
            return _UNKNOWN
        return AccessDecision(
            found=bool(answer.get("found")),
            allowed=bool(answer.get("allowed")),
            reason=str(answer.get("reason", "")),
        )

    async def _call(
        self, upstream: Upstream, method: str, path: str, principal: Principal, **kwargs: Any
    ) -> dict[str, Any] | None:
        """One internal call behind the upstream's breaker; None when the object is unknown."""
        breaker = upstream.breaker
        if not breaker.allow():
            raise ServiceUnavailable(
                f"The access check is unavailable ({upstream.name} is down).",
                headers={"Retry-After": str(breaker.retry_after())},
            )
        # No answer at all (refused, reset, timed out) is a ServiceUnavailable here and counts.
        try:
            response = await upstream.caller.request(method, path, principal, **kwargs)
        except ServiceUnavailable as exc:
            breaker.record_failure(failure_reason(exc))
            raise
        # An answer counts only when it says the service itself is unavailable: a 500 of one
        # check still fails that check, but must not open the breaker for everyone (breaker.py).
        breaker.record_answer(response.status_code, response.headers, response.content)
        try:
            answer = upstream.caller.answer(response)
        except Problem as exc:
            # An id the service cannot parse names no object we have.
            if exc.status_code in (400, 404, 422):
                return None
            raise
        if not isinstance(answer, dict):
            raise ServiceUnavailable(
                "The access check gave no answer.", headers={"Retry-After": "5"}
            )
        return answer
