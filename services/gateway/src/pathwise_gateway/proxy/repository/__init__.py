"""Proxy queries: audit entries and idempotency records."""

__all__: list[str] = []
