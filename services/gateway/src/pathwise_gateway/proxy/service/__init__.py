"""Proxy use cases: the gateway call pipeline, upstreams, directory, forwarding, access, audit, idempotency."""

__all__: list[str] = []
