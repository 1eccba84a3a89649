"""Pure domain rules of the profiles service: no I/O, unit-tested on their own."""

__all__: list[str] = []
