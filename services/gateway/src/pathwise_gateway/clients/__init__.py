"""API clients (integrations) and their credentials."""

__all__: list[str] = []
