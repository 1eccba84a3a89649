"""Service-to-service HTTP clients.

httpx's API on aiohttp's transport: on this machine the default httpx transport managed ~400
proxied requests/s where aiohttp's did ~3,100 (see ../shared/MEASURED.md and docs/benchmarks.md).
Timeouts are explicit, retries happen only for idempotent methods, and the request id of the
current request travels on every call.
"""

from collections.abc import Iterable

import httpx
from asgi_correlation_id import correlation_id
from httpx_aiohttp import AiohttpTransport
from httpx_retries import Retry, RetryTransport

__all__ = [
    "CLIENT_KEEP_ALIVE_SECONDS",
    "IDEMPOTENT_METHODS",
    "REQUEST_ID_HEADER",
    "SERVER_KEEP_ALIVE_SECONDS",
    "create_http_client",
]

# How long an idle connection is kept open: by each service's server (uvicorn's
# ``timeout_keep_alive``, given explicitly wherever a service is started), and by the clients
# that call our services, which give a connection up well before the server closes it. With the
# two equal (httpx's and uvicorn's default, 5 s), a call sent on a connection the server was
# closing at that moment failed ("Server disconnected", "Can not write request body"): under load
# that was a burst of 503s for a gateway's access checks (docs/benchmarks.md, seventh pass).
SERVER_KEEP_ALIVE_SECONDS = 5
CLIENT_KEEP_ALIVE_SECONDS = 3.0

REQUEST_ID_HEADER = "X-Request-ID"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUSES = (502, 503, 504)


async def _propagate_request_id(request: httpx.Request) -> None:
    request_id = correlation_id.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def create_http_client(
    base_url: str = "",
    *,
    timeout: float = 5.0,
    connect_timeout: float | None = None,
    retries: int = 2,
    retry_methods: Iterable[str] = IDEMPOTENT_METHODS,
    headers: dict[str, str] | None = None,
    max_connections: int = 200,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for calls between our services (or to webhook receivers)."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS,
    )
    transport: httpx.AsyncBaseTransport = AiohttpTransport(limits=limits, trust_env=False)
    if retries > 0:
        transport = RetryTransport(
            transport=transport,
            retry=Retry(
                total=retries,
                allowed_methods=frozenset(m.upper() for m in retry_methods),
                status_forcelist=_RETRY_STATUSES,
                retry_on_exceptions=(httpx.ConnectError, httpx.ConnectTimeout),
                backoff_factor=0.05,
                max_backoff_wait=1.0,
            ),
        )
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=connect_timeout or min(timeout, 2.0)),
        headers=headers,
        event_hooks={"request": [_propagate_request_id]},
        follow_redirects=False,
    )
