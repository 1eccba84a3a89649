"""Webhooks routers: endpoint management and deliveries; the inbound roster hook."""

__all__: list[str] = []
