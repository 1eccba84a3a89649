"""Request and response bodies (pydantic), shared by the routers and the service layer."""

__all__: list[str] = []
