"""Use cases of the gateway: principals, clients, access checks, aggregates, audit."""

__all__: list[str] = []
