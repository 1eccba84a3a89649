"""ASGI middleware of the edge: authentication before the body, body limit, rate-limit headers."""

__all__: list[str] = []
