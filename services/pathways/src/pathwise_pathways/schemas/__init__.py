"""Request and response bodies of the pathways API, one module per resource (``common`` holds
the types several share). Request bodies derive from ``pathwise_shared.inputs.StrictBody``."""

__all__: list[str] = []
