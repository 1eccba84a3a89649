"""Use cases of the pathways service: validate, call the pure domain, write through repositories."""

__all__: list[str] = []
