"""Events rules without I/O: the catalog and the retry schedule."""

__all__: list[str] = []
