"""Edge: who is calling and whether the call may come in at all: bearer tokens (ours and the\ndistrict identity provider's), the token endpoint, rate limits, body limits, authentication before\nthe body, and the route-level access guard of the gateway's own routes."""

__all__: list[str] = []
