"""Which requests may carry a large body: the uploads the gateway streams to their service.

Every other request keeps the small limit (``GATEWAY_MAX_BODY_BYTES``) and is read whole, so the
checks that look inside a body (JSON depth, a body-named object, the idempotency fingerprint) can
run. An upload is never held in memory: it is counted as it passes through
(``GATEWAY_MAX_UPLOAD_BYTES``) and the owning service checks its content (docs/gateway.md, "Body
limits"). The list is the gateway's policy, kept here rather than read from the services'
OpenAPI: the limit is applied before routing and before authentication.
"""

__all__ = ["STREAMED_ROUTES", "body_limit", "is_streamed"]

# (method, path) pairs, exact: an upload route takes no path parameters today.
STREAMED_ROUTES: frozenset[tuple[str, str]] = frozenset({("POST", "/v1/roster/imports")})


def is_streamed(method: str, path: str) -> bool:
    return (method, path) in STREAMED_ROUTES


def body_limit(method: str, path: str, *, default: int, upload: int) -> int:
    """The most body bytes this request may send."""
    return upload if is_streamed(method, path) else default
