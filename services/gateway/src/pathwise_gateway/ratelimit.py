"""Rate limits per integration client and per user (the ``limits`` library, sliding window).

Every authenticated call counts against its principal; the answer carries ``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` and ``RateLimit-Policy``; past the limit it is a 429
with ``Retry-After``. The counters live in this process (``memory://``) unless
``GATEWAY_RATE_LIMIT_STORAGE`` names a shared store (e.g. ``redis://…``) for several replicas.
"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_shared.auth import Principal
from pathwise_shared.problems import TooManyRequests

__all__ = ["STATE_KEY", "RateLimitHeadersMiddleware", "RateLimiter", "RateState", "enforce"]

STATE_KEY = "ratelimit"


@dataclass(frozen=True)
class RateState:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    window: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
            "RateLimit-Policy": f"{self.limit};w={self.window}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_after))
        return headers


class RateLimiter:
    def __init__(self, user: str, client: str, token: str, storage: str = "memory://") -> None:
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage))
        self._user = parse(user)
        self._client = parse(client)
        self._token = parse(token)

    def _hit(self, item: RateLimitItem, *identifiers: str) -> RateState:
        allowed = self._limiter.hit(item, *identifiers)
        stats = self._limiter.get_window_stats(item, *identifiers)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return RateState(allowed, item.amount, max(0, stats.remaining), reset,
                         item.get_expiry())  # fmt: skip

    def hit_principal(self, principal: Principal) -> RateState:
        item = self._client if principal.kind == "client" else self._user
        return self._hit(item, principal.kind, str(principal.district_id), principal.subject)

    def hit_token_endpoint(self, who: str) -> RateState:
        return self._hit(self._token, "token", who)


def enforce(state: RateState) -> None:
    if not state.allowed:
        raise TooManyRequests(
            "Too many requests; slow down.", slug="rate-limited", headers=state.headers()
        )


class RateLimitHeadersMiddleware:
    """Adds the RateLimit headers that the auth dependency left in the request state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {}).get(STATE_KEY)
                if isinstance(state, RateState):
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    extra = [
                        (k.lower().encode(), v.encode())
                        for k, v in state.headers().items()
                        if k.lower().encode() not in present
                    ]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
