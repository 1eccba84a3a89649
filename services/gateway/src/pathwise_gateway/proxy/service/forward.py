"""Forwarding one call to its service: a fresh internal token naming the caller, the request id,
and the headers that matter both ways. A service that does not answer is a 503 (or 504 on a
timeout) with ``Retry-After``; never a 500, never a hang (the client's timeouts are explicit).
What counts against the upstream's circuit breaker is decided in ``breaker.py``."""

import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from pathwise_gateway.proxy.service.upstreams import Upstream
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.problems import NotFound, Problem, ServiceUnavailable

__all__ = ["REQUEST_HEADERS", "RESPONSE_HEADERS", "Forwarded", "Forwarder"]

REQUEST_HEADERS = (
    "content-type",
    "accept",
    "accept-language",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "idempotency-key",
    "prefer",
)
RESPONSE_HEADERS = (
    "content-type",
    "etag",
    "location",
    "retry-after",
    "last-modified",
    "cache-control",
    "link",
    "content-language",
    "preference-applied",
    "idempotency-key",
    "deprecation",
    "sunset",
    "content-location",
    "idempotent-replayed",
)
# RFC 3986 pchar (unreserved, sub-delims, ":" and "@") and the segment separator.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class Forwarded:
    status: int
    headers: dict[str, str]
    body: bytes


class GatewayTimeout(Problem):
    status = 504
    slug = "upstream-timeout"


class BadGateway(Problem):
    status = 502
    slug = "upstream-error"


class Forwarder:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._tokens: dict[Principal, tuple[float, str]] = {}

    def internal_authorization(self, principal: Principal) -> str:
        """A fresh internal token, reused only while it has most of its life left."""
        now = time.monotonic()
        hit = self._tokens.get(principal)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = f"Bearer {issue_internal_token(principal, self._secret, self._ttl)}"
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[principal] = (now + self._ttl / 2, value)
        return value

    async def forward(
        self,
        upstream: Upstream,
        principal: Principal,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> Forwarded:
        breaker = upstream.breaker
        if not breaker.allow():
            raise _unavailable(upstream)
        out = {k: v for k, v in headers.items() if k in REQUEST_HEADERS}
        out["authorization"] = self.internal_authorization(principal)
        # The path arrives percent-decoded: encode it again, so what the service receives is
        # what the caller sent (a "%25" stays a percent sign, a "?" cannot start a query).
        url = quote(path, safe=_PATH_SAFE) + (f"?{query}" if query else "")
        try:
            request = upstream.client.build_request(method, url, headers=out, content=body or None)
        except (httpx.InvalidURL, UnicodeError) as exc:
            # Never a 500: a URL httpx refuses to build names nothing the service has.
            raise NotFound("No such operation.", slug="no-such-operation") from exc
        try:
            response = await upstream.client.send(request)
        except httpx.ConnectTimeout as exc:
            # The request never reached the service: it is down, not slow. (httpx-aiohttp also
            # reports a refused or dropped connection as ConnectTimeout.)
            breaker.record_failure()
            raise _unavailable(upstream) from exc
        except httpx.TimeoutException as exc:
            breaker.record_failure()
            raise GatewayTimeout(
                f"The {upstream.name} service did not answer in time.",
                headers={"Retry-After": str(breaker.retry_after())},
            ) from exc
        except httpx.HTTPError as exc:
            breaker.record_failure()
            raise _unavailable(upstream) from exc
        status = response.status_code
        # Only an answer saying the service itself is unavailable counts against the breaker; an
        # application 500 is this request's 502 and proves the service is up (breaker.py).
        breaker.record_answer(status, response.headers, response.content)
        if status >= 500:
            if status in (503, 504):
                raise _unavailable(upstream, response.headers.get("retry-after", "5"))
            raise BadGateway(f"The {upstream.name} service failed; quote the request id.")
        kept = {k: v for k, v in response.headers.items() if k.lower() in RESPONSE_HEADERS}
        return Forwarded(status, kept, response.content)


def _unavailable(upstream: Upstream, retry_after: str | None = None) -> ServiceUnavailable:
    """503 for a service that cannot answer now; ``Retry-After`` is the service's own when it
    gave one, else the time left before the breaker tries it again."""
    wait = retry_after if retry_after is not None else str(upstream.breaker.retry_after())
    return ServiceUnavailable(
        f"The {upstream.name} service is unavailable.", headers={"Retry-After": wait}
    )
