"""Edge use cases: the authenticator, token issuing, principals, the identity provider, rate limits."""

__all__: list[str] = []
