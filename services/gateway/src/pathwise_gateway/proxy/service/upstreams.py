"""The services behind the gateway: one shared HTTP client, caller and breaker per upstream.

Forwarding needs more than a ``ServiceCaller``: the raw client (bodies and headers pass through
untouched), the base URL and the breaker. The callers come from
``pathwise_shared.calls.ServiceCallers`` (the one way to wire calls to other services), built on
these same clients; ``app.state.callers`` offers them to the rest of the gateway (the edge's
principal resolver) without making it depend on the proxy.
"""

import logging
from dataclasses import dataclass, field

import aiohttp
import httpx
from asgi_correlation_id import correlation_id
from fastapi import FastAPI

from pathwise_gateway.proxy.domain.breaker import CircuitBreaker
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.calls import ServiceCaller, ServiceCallers
from pathwise_shared.http import CLIENT_KEEP_ALIVE_SECONDS, REQUEST_ID_HEADER, create_http_client

__all__ = [
    "UPSTREAM_NAMES",
    "Upstream",
    "Upstreams",
    "close_upstreams",
    "failure_reason",
    "open_upstreams",
]

UPSTREAM_NAMES = ("profiles", "pathways", "assessment")
logger = logging.getLogger("pathwise.gateway.upstreams")


def failure_reason(exc: BaseException) -> str:
    """What a failed call saw, for the log: the error's class and message (its cause's, when it
    wraps one: the driver's error says more than our 503)."""
    seen = exc.__cause__ or exc
    return f"{type(seen).__name__}: {seen}"[:300]


@dataclass(frozen=True)
class _LoggedBreaker:
    """Says in the gateway's log why an upstream counted as unavailable, and when its breaker
    opens and closes: a 503 the gateway answers on a service's behalf must be traceable."""

    name: str
    reset_seconds: float

    def failed(self, reason: str, *, opened: bool) -> None:
        if opened:
            logger.warning(
                "%s: circuit breaker open (calls refused for %.0f s) after: %s",
                self.name,
                self.reset_seconds,
                reason or "no answer",
            )
        else:
            logger.warning("%s unavailable: %s", self.name, reason or "no answer")

    def recovered(self) -> None:
        logger.warning("%s answers again: circuit breaker closed", self.name)

    def passed_on(self, reason: str) -> None:
        logger.warning("%s %s, passed on as 503", self.name, reason)


@dataclass
class Upstream:
    name: str
    base_url: str
    client: httpx.AsyncClient
    caller: ServiceCaller
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    # Forwarding's own client (``proxy.service.forward``): plain aiohttp, since a forwarded call
    # needs none of httpx's request and response models, only bytes and headers both ways.
    # None on the "httpx" transport (kept for comparison), where forwarding uses ``client``.
    session: aiohttp.ClientSession | None = None
    timeout_seconds: float = 5.0
    # The answer to a streamed upload (``proxy.service.forward``) may take longer: the service
    # saves and checks the whole file before it answers.
    upload_timeout_seconds: float = 120.0


def _forwarding_session(timeout: float) -> aiohttp.ClientSession:
    """One pooled session per upstream; explicit timeouts (connect, including the wait for a
    pooled connection, and each read); idle connections given up before the service closes them
    (``pathwise_shared.http``); no cookies (a service's Set-Cookie is never kept)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=200, limit_per_host=200, keepalive_timeout=CLIENT_KEEP_ALIVE_SECONDS
        ),
        timeout=aiohttp.ClientTimeout(total=None, connect=min(timeout, 2.0), sock_read=timeout),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    )


def _httpx_transport_client(base_url: str, timeout: float) -> httpx.AsyncClient:
    """The same client on httpx's default transport (retries on connect errors only)."""
    limits = httpx.Limits(
        max_connections=200,
        max_keepalive_connections=200,
        keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        transport=httpx.AsyncHTTPTransport(limits=limits, retries=2),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
        event_hooks={"request": [_propagate_request_id]},
        follow_redirects=False,
    )


async def _propagate_request_id(request: httpx.Request) -> None:
    request_id = correlation_id.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


class Upstreams:
    def __init__(self, settings: GatewaySettings) -> None:
        urls = {
            "profiles": settings.profiles_url,
            "pathways": settings.pathways_url,
            "assessment": settings.assessment_url,
        }
        clients = {
            name: (
                create_http_client(urls[name], timeout=settings.http_timeout_seconds)
                if settings.upstream_transport == "aiohttp"
                else _httpx_transport_client(urls[name], settings.http_timeout_seconds)
            )
            for name in UPSTREAM_NAMES
        }
        # Given the clients above (their transport is a setting), so it makes none of its own.
        self.callers = ServiceCallers(
            urls,
            secret=settings.internal_token_secret.get_secret_value(),
            ttl_seconds=settings.internal_token_ttl_seconds,
            timeout=settings.http_timeout_seconds,
            given=clients,
        )
        self.by_name: dict[str, Upstream] = {
            name: Upstream(
                name=name,
                base_url=urls[name],
                client=clients[name],
                caller=self.callers[name],
                breaker=CircuitBreaker(
                    failures=settings.breaker_failures,
                    reset_seconds=settings.breaker_reset_seconds,
                    listener=_LoggedBreaker(name, settings.breaker_reset_seconds),
                ),
                session=(
                    _forwarding_session(settings.http_timeout_seconds)
                    if settings.upstream_transport == "aiohttp"
                    else None
                ),
                timeout_seconds=settings.http_timeout_seconds,
                upload_timeout_seconds=settings.upload_timeout_seconds,
            )
            for name in UPSTREAM_NAMES
        }
        # For other outbound calls (the identity provider's JWKS).
        self.external = create_http_client(timeout=settings.http_timeout_seconds, retries=1)

    def __getitem__(self, name: str) -> Upstream:
        return self.by_name[name]

    async def aclose(self) -> None:
        for upstream in self.by_name.values():
            await upstream.client.aclose()
            if upstream.session is not None:
                await upstream.session.close()
        await self.callers.aclose()  # it made no client (all were given): closes nothing today
        await self.external.aclose()


async def open_upstreams(app: FastAPI) -> None:
    """Start-up hook (first): the upstreams, and what other features may use of them (the
    callers, the external client) under names that do not tie them to the proxy."""
    upstreams = Upstreams(app.state.settings)
    app.state.upstreams = upstreams
    app.state.callers = upstreams.callers
    app.state.external_http = upstreams.external


async def close_upstreams(app: FastAPI) -> None:
    upstreams: Upstreams | None = getattr(app.state, "upstreams", None)
    if upstreams is not None:
        await upstreams.aclose()
