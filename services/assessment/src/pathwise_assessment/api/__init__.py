"""Routers of the assessment service: thin (parse, call the service layer, shape the response)."""

__all__: list[str] = []
