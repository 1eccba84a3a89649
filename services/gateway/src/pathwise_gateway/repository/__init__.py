"""Every query of the gateway, one module per table."""

__all__: list[str] = []
