"""Which requests may carry a large body: the uploads the gateway streams to their service.

Every other request keeps the small limit (``GATEWAY_MAX_BODY_BYTES``) and is read whole, so the
checks that look inside a body (JSON depth, a body-named object, the idempotency fingerprint) can
run. An upload is never held in memory: it is counted as it passes through and the owning service
checks its content (docs/gateway.md, "Body limits"). The list is the gateway's policy, kept here
rather than read from the services' OpenAPI: the limit is applied before routing and before
authentication.
"""

import re

__all__ = ["MESSAGE_UPLOAD", "PORTFOLIO_UPLOAD", "STREAMED_ROUTES", "body_limit", "is_streamed"]

# (method, path) pairs, exact: the roster zip (``GATEWAY_MAX_UPLOAD_BYTES``).
STREAMED_ROUTES: frozenset[tuple[str, str]] = frozenset({("POST", "/v1/roster/imports")})
# A learner's portfolio upload (``GATEWAY_MAX_PORTFOLIO_UPLOAD_BYTES``); the learner is in the
# path, so the object check still runs before a byte is forwarded.
PORTFOLIO_UPLOAD = re.compile(r"/v1/learners/[^/]+/portfolio")
# A message with an attachment (profiles' messages), under the same limit: the attachments take
# the portfolio's kinds and per-kind limits.
MESSAGE_UPLOAD = re.compile(r"/v1/learners/[^/]+/threads/[^/]+/messages")


def _portfolio(method: str, path: str) -> bool:
    return method == "POST" and (
        PORTFOLIO_UPLOAD.fullmatch(path) is not None or MESSAGE_UPLOAD.fullmatch(path) is not None
    )


def is_streamed(method: str, path: str) -> bool:
    return (method, path) in STREAMED_ROUTES or _portfolio(method, path)


def body_limit(method: str, path: str, *, default: int, upload: int, portfolio: int) -> int:
    """The most body bytes this request may send."""
    if (method, path) in STREAMED_ROUTES:
        return upload
    return portfolio if _portfolio(method, path) else default
