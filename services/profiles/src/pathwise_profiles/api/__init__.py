"""Thin routers of the profiles service: parse, call the service layer, shape the response."""

__all__: list[str] = []
