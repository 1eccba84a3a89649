"""Pure domain code of the gateway (no I/O): summaries the aggregates compute."""

__all__: list[str] = []
