"""Proxy: the route table and directory (from the services' OpenAPI), forwarding with a circuit\nbreaker, object-level access, idempotency, the audit log and its API, the merged OpenAPI."""

__all__: list[str] = []
