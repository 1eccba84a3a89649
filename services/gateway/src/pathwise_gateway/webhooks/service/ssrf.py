"""The SSRF guard of outbound webhooks.

A URL is accepted only with ``https`` (``http`` too outside production), no credentials, and a
host whose every address is globally routable. The refusals, each with its reason:

- syntax: other schemes, userinfo (``http://evil@127.0.0.1``), backslashes, whitespace, port 0;
- names: ``localhost`` and ``*.localhost`` (RFC 6761) with or without the trailing dot (which is
  dropped before any check), names that are not valid IDNA;
- IPv4 in a non-canonical form (``2130706433``, ``0x7f.1``, ``017700000001``, ``127.1``): every
  host whose last label is a number (the WHATWG rule) must be a dotted quad, so no parser can
  read such a host one way here and another way in a resolver;
- addresses (literal or resolved): the explicit table ``_REFUSED`` (loopback, private, CGNAT,
  this-network, link-local, benchmarking, documentation, multicast, broadcast, reserved,
  site-local, unique-local, Teredo, NAT64 local use, ORCHID, discard-only, SRv6…), then anything
  ``ipaddress`` does not call global. IPv6 forms that embed an IPv4 address (IPv4-mapped,
  NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the embedded address; the deprecated
  IPv4-compatible form ``::a.b.c.d`` is refused outright.

The check runs at registration (``webhooks.service``) and again at every delivery (the
dispatcher calls ``resolve_target``), after resolution: the request then goes to the checked
address itself (the URL's host is kept in ``Host`` and as the TLS server name), so a second DNS
answer (rebinding) cannot redirect it; redirects are never followed.

``allow_loopback`` (development only; production settings refuse it) lets loopback addresses and
``localhost`` through, for the demo receiver of ``make run`` and for tests.
"""

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pathwise_gateway.events.domain.delivery import RefusedTarget

__all__ = [
    "Resolver",
    "Target",
    "UnsafeUrlError",
    "address_refusal",
    "check_url",
    "is_public_address",
    "resolve_target",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


class UnsafeUrlError(RefusedTarget):
    """The URL may not be called; ``reason`` is a short tag (``loopback``, ``scheme``, …)."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


def _nets(
    reason: str, *cidrs: str
) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    return [(ipaddress.ip_network(cidr), reason) for cidr in cidrs]


# Checked before ``is_global``: the reason is then precise, and the refusal does not depend on
# the Python version's copy of the IANA registries (3.11 calls fec0::/10 global, for one).
_REFUSED = [
    *_nets("loopback", "127.0.0.0/8", "::1/128"),
    *_nets("this-network", "0.0.0.0/8", "::/128"),
    *_nets("private", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    *_nets("cgnat", "100.64.0.0/10"),
    *_nets("link-local", "169.254.0.0/16", "fe80::/10"),
    *_nets("ietf-protocol", "192.0.0.0/24"),
    *_nets(
        "documentation",
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "2001:db8::/32",
        "3fff::/20",
    ),
    *_nets("6to4-relay", "192.88.99.0/24"),
    *_nets("benchmarking", "198.18.0.0/15", "2001:2::/48"),
    *_nets("multicast", "224.0.0.0/4", "ff00::/8"),
    *_nets("broadcast", "255.255.255.255/32"),
    *_nets("reserved", "240.0.0.0/4"),
    *_nets("ipv4-compatible", "::/96"),
    *_nets("nat64-local", "64:ff9b:1::/48"),
    *_nets("discard-only", "100::/64"),
    *_nets("teredo", "2001::/32"),
    *_nets("orchid", "2001:10::/28", "2001:20::/28"),
    *_nets("srv6", "5f00::/16"),
    *_nets("unique-local", "fc00::/7"),
    *_nets("site-local", "fec0::/10"),
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCALHOST = re.compile(r"(^|\.)localhost$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


@dataclass(frozen=True)
class Target:
    """Where to connect: ``url`` has the checked address; ``host`` goes in ``Host`` and SNI."""

    url: str
    host: str
    address: str
    server_name: str | None


def _host_of(parts: SplitResult) -> str:
    """The host as a resolver will see it: lower case, IDNA, without the trailing dot."""
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrlError("The URL has no host.", "no-host")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise UnsafeUrlError("The URL's host is not a valid name.", "bad-host") from exc
    if ":" in host:  # an IPv6 literal ([...] in the URL)
        if "%" in host:
            raise UnsafeUrlError("The URL may not name an IPv6 zone.", "zone-id")
        return host
    if _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        try:
            ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise UnsafeUrlError(
                "The URL's host is an IPv4 address in a non-canonical form.", "numeric-host"
            ) from exc
    return host


def check_url(url: str, *, allow_http: bool, allow_loopback: bool = False) -> SplitResult:
    """The syntax half of the guard (no DNS): scheme, host, no credentials, sane port."""
    if len(url) > 2000:
        raise UnsafeUrlError("The URL is too long.", "too-long")
    if any(c.isspace() for c in url) or "\\" in url:
        raise UnsafeUrlError("The URL may not contain whitespace or backslashes.", "bad-char")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError("The URL is not valid.", "invalid") from exc
    allowed = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in allowed:
        raise UnsafeUrlError(f"The URL must use {' or '.join(sorted(allowed))}.", "scheme")
    if "@" in parts.netloc:
        raise UnsafeUrlError("The URL may not carry credentials.", "credentials")
    host = _host_of(parts)
    if port == 0:
        raise UnsafeUrlError("The URL's port is not valid.", "port")
    if _LOCALHOST.search(host) and not allow_loopback:
        raise UnsafeUrlError("The URL may not name localhost.", "loopback")
    return parts


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refusal(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why ``ip`` may not be called (a reason tag), or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_refusal(embedded, allow_loopback=allow_loopback)
    if ip.is_loopback and allow_loopback:
        return None
    for network, reason in _REFUSED:
        if ip.version == network.version and ip in network:
            return reason
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "not-global"
    return None


def is_public_address(ip: IPAddress, *, allow_loopback: bool = False) -> bool:
    return address_refusal(ip, allow_loopback=allow_loopback) is None


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = await resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrlError(f"The host {host!r} does not resolve.", "unresolved") from exc
    # getaddrinfo hands IPv6 scope ids as "fe80::1%eth0": drop the scope before parsing.
    return [ipaddress.ip_address(address.split("%", 1)[0]) for address in found]


async def resolve_target(
    url: str, *, allow_http: bool, allow_loopback: bool, resolver: Resolver | None = None
) -> Target:
    """Check ``url``, resolve its host (``resolver``: the system's by default, looked up at call
    time) and check every address; the target connects to the first one."""
    parts = check_url(url, allow_http=allow_http, allow_loopback=allow_loopback)
    host = _host_of(parts)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _resolve(host, port, resolver or system_resolver)
    if not addresses:
        raise UnsafeUrlError(f"The host {host!r} does not resolve.", "unresolved")
    for address in addresses:
        reason = address_refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise UnsafeUrlError(f"The host {host!r} is not a public address ({reason}).", reason)
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
