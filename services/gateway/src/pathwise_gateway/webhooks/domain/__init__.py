"""Webhooks rules without I/O: Standard Webhooks signing."""

__all__: list[str] = []
