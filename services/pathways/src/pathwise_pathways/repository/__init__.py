"""Every query of the pathways service, grouped by what it reads and writes."""

__all__: list[str] = []
