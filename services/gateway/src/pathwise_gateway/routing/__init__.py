"""Routing of /v1 calls to the services: route table, forwarding, circuit breakers."""

__all__: list[str] = []
