"""The SSRF guard of outbound webhooks.

A URL is accepted only with ``https`` (``http`` too outside production), no credentials, and a
host whose every resolved address is global: loopback, private, link-local, CGNAT (100.64/10),
multicast, reserved, unspecified and their IPv6 forms (IPv4-mapped, 6to4, Teredo, NAT64, ULA)
are refused. Encoded forms (``2130706433``, ``0x7f.1``, ``017700000001``) are caught because the
check runs on what the resolver returns, not on the text. The request then goes to the checked
address itself (the URL's host is kept in ``Host`` and as the TLS server name), so a second DNS
answer cannot redirect it; redirects are never followed (``create_http_client``).

``allow_loopback`` (development only; production settings refuse it) lets loopback addresses
through, for the demo receiver of ``make run`` and for tests.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

__all__ = ["Target", "UnsafeUrlError", "check_url", "is_public_address", "resolve_target"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UnsafeUrlError(ValueError):
    """The URL may not be called (wrong scheme, credentials, or a non-global address)."""


@dataclass(frozen=True)
class Target:
    """Where to connect: ``url`` has the checked address; ``host`` goes in ``Host`` and SNI."""

    url: str
    host: str
    address: str
    server_name: str | None


def check_url(url: str, *, allow_http: bool) -> SplitResult:
    """The syntax half of the guard (no DNS): scheme, host, no credentials, sane port."""
    if len(url) > 2000:
        raise UnsafeUrlError("The URL is too long.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError("The URL is not valid.") from exc
    allowed = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in allowed:
        raise UnsafeUrlError(f"The URL must use {' or '.join(sorted(allowed))}.")
    if not parts.hostname:
        raise UnsafeUrlError("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("The URL may not carry credentials.")
    if port == 0:
        raise UnsafeUrlError("The URL's port is not valid.")
    if any(c.isspace() for c in url):
        raise UnsafeUrlError("The URL may not contain whitespace.")
    return parts


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress, *, allow_loopback: bool = False) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None or ip in _NAT64_LOCAL:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded, allow_loopback=allow_loopback)
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrlError(f"The host {host!r} does not resolve.") from exc
    # getaddrinfo hands IPv6 scope ids as "fe80::1%eth0": drop the scope before parsing.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def resolve_target(url: str, *, allow_http: bool, allow_loopback: bool) -> Target:
    parts = check_url(url, allow_http=allow_http)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _resolve(host, port)
    if not addresses:
        raise UnsafeUrlError(f"The host {host!r} does not resolve.")
    for address in addresses:
        if not is_public_address(address, allow_loopback=allow_loopback):
            raise UnsafeUrlError(f"The host {host!r} resolves to a non-public address.")
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    is_ip_literal = host == str(chosen) or host.strip("[]") == str(chosen)
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host=host_header,
        address=str(chosen),
        server_name=host if parts.scheme == "https" and not is_ip_literal else None,
    )
