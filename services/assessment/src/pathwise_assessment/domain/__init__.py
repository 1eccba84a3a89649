"""Pure domain logic of the assessment service: no I/O, unit-tested on its own."""

__all__: list[str] = []
