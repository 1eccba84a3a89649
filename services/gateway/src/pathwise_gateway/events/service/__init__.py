"""Events use cases: intake, the dispatcher and the hub that runs it."""

__all__: list[str] = []
