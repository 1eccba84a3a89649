"""Events routers: the internal ingest and the public catalog."""

__all__: list[str] = []
