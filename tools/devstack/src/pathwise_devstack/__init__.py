"""Runs the four Pathwise services on loopback: for ``make run`` and for integration tests."""

__all__: list[str] = []
