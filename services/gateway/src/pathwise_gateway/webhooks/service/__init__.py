"""Webhooks use cases: endpoints, the inbound roster hook, delivery through the SSRF guard."""

__all__: list[str] = []
