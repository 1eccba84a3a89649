"""Object-level checks: may this principal read or change this learner, class or school?

Profiles decides (``POST /internal/access-check``); answers are cached briefly, keyed by
principal, action and object, so a page of calls about one learner costs one check.
"""

import time
from dataclasses import dataclass
from typing import Any

from pathwise_gateway.upstreams import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, NotFound, Problem, ServiceUnavailable

__all__ = ["AccessChecker", "AccessDecision", "enforce"]

_MAX_ENTRIES = 50_000


@dataclass(frozen=True)
class AccessDecision:
    found: bool
    allowed: bool
    reason: str = ""


def enforce(decision: AccessDecision, kind: str) -> None:
    """Not found in the caller's district → 404 (even when it exists elsewhere); else 403."""
    if not decision.found:
        raise NotFound(f"No such {kind}.", slug=f"{kind}-not-found", check="object")
    if not decision.allowed:
        raise Forbidden(
            f"You may not access this {kind}.", slug=f"{kind}-forbidden", check="object"
        )


class AccessChecker:
    def __init__(self, profiles: Upstream, ttl_seconds: float = 5.0) -> None:
        self._profiles = profiles
        self._ttl = ttl_seconds
        self._cache: dict[tuple[Any, ...], tuple[float, AccessDecision]] = {}

    async def check(
        self, principal: Principal, action: str, kind: str, object_id: str
    ) -> AccessDecision:
        key = (principal.subject, principal.kind, principal.district_id, principal.roles,
               principal.scopes, action, kind, object_id)  # fmt: skip
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        decision = await self._ask(principal, action, kind, object_id)
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[key] = (now, decision)
        return decision

    async def _ask(
        self, principal: Principal, action: str, kind: str, object_id: str
    ) -> AccessDecision:
        breaker = self._profiles.breaker
        if not breaker.allow():
            raise ServiceUnavailable(
                "The access check is unavailable (profiles is down).",
                headers={"Retry-After": str(breaker.retry_after())},
            )
        field = {"learner": "learner_id", "class": "class_id", "school": "school_id"}[kind]
        try:
            answer = await self._profiles.caller.json(
                "POST",
                "/internal/access-check",
                principal,
                json={"action": action, field: object_id},
            )
        except ServiceUnavailable:
            breaker.record_failure()
            raise
        except Problem as exc:
            breaker.record_success()
            # An id profiles cannot parse names no object we have.
            if exc.status_code in (400, 404, 422):
                return AccessDecision(found=False, allowed=False, reason="unknown object")
            raise
        breaker.record_success()
        if not isinstance(answer, dict):
            raise ServiceUnavailable(
                "The access check gave no answer.", headers={"Retry-After": "5"}
            )
        return AccessDecision(
            found=bool(answer.get("found")),
            allowed=bool(answer.get("allowed")),
            reason=str(answer.get("reason", "")),
        )
