"""What the edge knows about integration clients without depending on the clients feature: the
scopes a client may hold and the error of a refused credential (the check itself is the clients
feature's; ``app.py`` hands it to the edge, which sits below every feature and imports none)."""

__all__ = ["CLIENT_SCOPES", "ClientAuthError"]

CLIENT_SCOPES = frozenset(
    {
        "roster:read",
        "roster:write",
        "profiles:read",
        "pathways:read",
        "pathways:write",
        "assessment:read",
        "assessment:write",
        "webhooks:manage",
        "events:read",
    }
)


class ClientAuthError(Exception):
    """Unknown client, wrong secret, revoked client, or a scope it was not given."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail
