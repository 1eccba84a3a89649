"""Rate limits per integration client and per user (the ``limits`` library, sliding window).

The token endpoint has two budgets of its own, so guessing secrets is slow whichever way it is
spread: one per client address across every client id and username it tries, one per client id
(or username) across every address that tries it. Each budget may have several windows
(``"10/minute;100/hour"``): a caller who keeps guessing after the short window reopens soon meets
the long one, so the wait grows the longer the guessing goes on.

Every authenticated call counts against its principal; the answer carries ``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` and ``RateLimit-Policy``; past the limit it is a 429
with ``Retry-After``. The counters live in this process (``memory://``) unless
``GATEWAY_RATE_LIMIT_STORAGE`` names a shared store (e.g. ``redis://…``) for several replicas.
In this process the counting is ``edge.domain.windows`` (the same sliding window arithmetic as
``limits``, without its expiry thread started per request); a shared store goes through
``limits``.
"""

import ipaddress
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from pathwise_gateway.edge.domain.windows import SlidingWindows
from pathwise_shared.auth import Principal
from pathwise_shared.problems import TooManyRequests

__all__ = [
    "STATE_KEY",
    "RateLimiter",
    "RateState",
    "address_key",
    "enforce",
    "identity_key",
]

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
    def __init__(
        self,
        user: str,
        client: str,
        token: str,
        storage: str = "memory://",
        token_identity: str | None = None,
    ) -> None:
        self._windows = SlidingWindows() if storage.startswith("memory://") else None
        self._limiter = (
            None
            if self._windows is not None
            else SlidingWindowCounterRateLimiter(storage_from_string(storage))
        )
        self._user = parse(user)
        self._client = parse(client)
        self._token_address = parse_many(token)
        self._token_identity = parse_many(token_identity or token)

    def _hit(self, item: RateLimitItem, *identifiers: str) -> RateState:
        if self._windows is not None:
            key, now, period = item.key_for(*identifiers), time.time(), item.get_expiry()
            allowed = self._windows.hit(key, item.amount, period, now)
            reset_time, remaining = self._windows.stats(key, item.amount, period, now)
        else:
            assert self._limiter is not None
            allowed = self._limiter.hit(item, *identifiers)
            stats = self._limiter.get_window_stats(item, *identifiers)
            reset_time, remaining, now = stats.reset_time, stats.remaining, time.time()
        reset = max(0, math.ceil(reset_time - now))
        return RateState(allowed, item.amount, max(0, remaining), reset, item.get_expiry())

    def hit_principal(self, principal: Principal) -> RateState:
        item = self._client if principal.kind == "client" else self._user
        return self._hit(item, principal.kind, str(principal.district_id), principal.subject)

    def hit_anonymous(self, address: str) -> RateState:
        """A tokenless call to an anonymous operation: the user budget, counted per client
        address (an IPv6 caller per /64, like the token endpoint)."""
        return self._hit(self._user, "anonymous", address_key(address))

    def hit_token_endpoint(self, address: str, identity: str) -> RateState:
        """One attempt at the token endpoint from ``address`` naming ``identity`` (a client id
        or username; empty when the request named none).

        Counted against the address and against the identity, every window of each; the first
        refusal stops the count (an attempt already refused need not spend other budgets). The
        answer is the refusing window, else the one with the least left (for the headers)."""
        budgets = [(item, "token-address", address_key(address)) for item in self._token_address]
        if identity:
            key = identity_key(identity)
            budgets += [(item, "token-identity", key) for item in self._token_identity]
        tightest: RateState | None = None
        for item, scope, key in budgets:
            state = self._hit(item, scope, key)
            if not state.allowed:
                return state
            if tightest is None or state.remaining < tightest.remaining:
                tightest = state
        assert tightest is not None  # the address budget always has a window (parse_many)
        return tightest


def address_key(address: str) -> str:
    """The counter key of a client address: an IPv6 address counts by its /64, since one
    subscriber usually holds a whole /64 and could otherwise rotate through 2**64 addresses."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def identity_key(identity: str) -> str:
    """Case and surrounding space do not make a new identity (``Admin`` and ``admin `` share one
    budget), so variants of one name cannot multiply the guesses."""
    return identity.strip().casefold()


def enforce(state: RateState) -> None:
    if not state.allowed:
        raise TooManyRequests(
            "Too many requests; slow down.", slug="rate-limited", headers=state.headers()
        )
