"""Edge rules without I/O: our access tokens, client scopes, the route-level check."""

__all__: list[str] = []
