"""The webhooks side of a delivery: the SSRF guard and the Standard Webhooks signature, given to
the event dispatcher as its :class:`pathwise_gateway.events.domain.delivery.WebhookGuard`."""

from collections.abc import Iterable

from pathwise_gateway.webhooks.domain.signing import webhook_headers
from pathwise_gateway.webhooks.service.ssrf import Target, resolve_target

__all__ = ["WEBHOOK_GUARD", "SsrfGuardedSigner"]


class SsrfGuardedSigner:
    async def resolve(self, url: str, *, allow_http: bool, allow_loopback: bool) -> Target:
        return await resolve_target(url, allow_http=allow_http, allow_loopback=allow_loopback)

    def headers(
        self, msg_id: str, timestamp: int, body: bytes, secrets: Iterable[str]
    ) -> dict[str, str]:
        return webhook_headers(msg_id, timestamp, body, secrets)


WEBHOOK_GUARD = SsrfGuardedSigner()
