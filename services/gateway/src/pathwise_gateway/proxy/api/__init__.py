"""Proxy routers: the catch-all forwarder and the audit API; the merged OpenAPI."""

__all__: list[str] = []
