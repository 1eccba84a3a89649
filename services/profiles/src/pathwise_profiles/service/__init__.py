"""Use cases of the profiles service: validate, then write through the repositories (flush only)."""

__all__: list[str] = []
