"""What the dispatcher needs to send to a district's webhook endpoint, as a port.

The SSRF guard and the Standard Webhooks signature are the webhooks feature's; the dispatcher
(events) must not import it, since webhooks builds on events (its endpoints subscribe to the
event catalog, its API wakes the hub). ``app.py`` hands the webhooks implementation
(``webhooks.service.delivery.WEBHOOK_GUARD``) to the hub: features depend one way, webhooks → events.
"""

from collections.abc import Iterable
from typing import Protocol

__all__ = ["DeliveryTarget", "RefusedTarget", "WebhookGuard"]


class RefusedTarget(ValueError):
    """The URL may not be called (the SSRF guard's ``UnsafeUrlError`` is one): recorded as a
    refused attempt, never sent."""


class DeliveryTarget(Protocol):
    """Where to connect: ``url`` has the checked address; ``host`` goes in ``Host`` and SNI."""

    @property
    def url(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def server_name(self) -> str | None: ...


class WebhookGuard(Protocol):
    async def resolve(self, url: str, *, allow_http: bool, allow_loopback: bool) -> DeliveryTarget:
        """Check the URL and every address its host resolves to (else :class:`RefusedTarget`)."""
        ...

    def headers(
        self, msg_id: str, timestamp: int, body: bytes, secrets: Iterable[str]
    ) -> dict[str, str]:
        """The signature headers of one delivery, signed with every given secret."""
        ...
