"""Edge routers (token endpoint, /me), the caller dependency and the route guard."""

__all__: list[str] = []
