"""Pure domain logic of the pathways service: no I/O, plain data in and out, unit-tested alone."""

__all__: list[str] = []
