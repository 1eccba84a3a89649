"""The HTTP session outbound webhooks are sent with: aiohttp itself, without httpx on top.

Deliveries are the dispatcher's hot path: under load, httpx's request and response objects
(headers, URL parsing, cookies) on top of the aiohttp transport cost about as much CPU as the
rest of a delivery (see docs/benchmarks.md, "Webhooks"). The session is set for untrusted
targets: no proxies from the environment (a proxy would bypass the SSRF guard's checked address),
no cookies kept between endpoints, redirects never followed (each request says so too), TLS
verified against the URL's host name.
"""

import aiohttp

__all__ = ["open_webhook_session"]


def open_webhook_session(
    *, timeout_seconds: float, connect_timeout_seconds: float, max_connections: int
) -> aiohttp.ClientSession:
    """Call from a running event loop; close with ``await session.close()``."""
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        limit_per_host=0,
        # Targets are checked IP addresses already: aiohttp resolves nothing.
        use_dns_cache=False,
        enable_cleanup_closed=False,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_seconds, sock_connect=connect_timeout_seconds),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding",),
    )
