"""Thin routers of the gateway's own operations."""

__all__: list[str] = []
