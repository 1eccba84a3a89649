"""Use cases of the assessment service (endpoint -> service -> repository)."""

__all__: list[str] = []
