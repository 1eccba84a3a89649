"""Webhooks for districts: outbound endpoints (Standard Webhooks signing, SSRF guard, management
API) and the signed inbound roster hook."""

__all__: list[str] = []
