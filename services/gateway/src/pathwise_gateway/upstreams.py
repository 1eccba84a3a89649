"""The services behind the gateway: one shared HTTP client and caller per upstream, per app."""

from dataclasses import dataclass, field

import httpx
from asgi_correlation_id import correlation_id
from fastapi import FastAPI

from pathwise_gateway.routing.breaker import CircuitBreaker
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.http import REQUEST_ID_HEADER, create_http_client

__all__ = ["UPSTREAM_NAMES", "Upstream", "Upstreams", "close_upstreams", "open_upstreams"]

UPSTREAM_NAMES = ("profiles", "pathways", "assessment")


@dataclass
class Upstream:
    name: str
    base_url: str
    client: httpx.AsyncClient
    caller: ServiceCaller
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)


def _httpx_transport_client(base_url: str, timeout: float) -> httpx.AsyncClient:
    """The same client on httpx's default transport (retries on connect errors only)."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
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
        secret = settings.internal_token_secret.get_secret_value()
        urls = {
            "profiles": settings.profiles_url,
            "pathways": settings.pathways_url,
            "assessment": settings.assessment_url,
        }
        self.by_name: dict[str, Upstream] = {}
        for name in UPSTREAM_NAMES:
            client = (
                create_http_client(urls[name], timeout=settings.http_timeout_seconds)
                if settings.upstream_transport == "aiohttp"
                else _httpx_transport_client(urls[name], settings.http_timeout_seconds)
            )
            self.by_name[name] = Upstream(
                name=name,
                base_url=urls[name],
                client=client,
                caller=ServiceCaller(name, client, secret, settings.internal_token_ttl_seconds),
                breaker=CircuitBreaker(
                    failures=settings.breaker_failures, reset_seconds=settings.breaker_reset_seconds
                ),
            )
        # For other outbound calls (the identity provider's JWKS).
        self.external = create_http_client(timeout=settings.http_timeout_seconds, retries=1)

    def __getitem__(self, name: str) -> Upstream:
        return self.by_name[name]

    async def aclose(self) -> None:
        for upstream in self.by_name.values():
            await upstream.client.aclose()
        await self.external.aclose()


async def open_upstreams(app: FastAPI) -> None:
    app.state.upstreams = Upstreams(app.state.settings)


async def close_upstreams(app: FastAPI) -> None:
    upstreams: Upstreams | None = getattr(app.state, "upstreams", None)
    if upstreams is not None:
        await upstreams.aclose()
