"""``Idempotency-Key``: the one set of rules the gateway and the services share (docs/api.md,
"Idempotency-Key").

- Syntax: 1-200 characters of letters, digits and ``-_.:``; anything else is a 400.
- Scope: the caller (principal kind + district + subject), never the district: two teachers may
  pick the same key and each gets her own resource.
- Fingerprint: a hash of what was asked (method, path, query, body bytes). The same key with
  another fingerprint is a client bug, refused with 422 ``idempotency-key-reused``; never the
  resource the first request made.

The gateway records the first answer under (caller, key) and replays it. The services record the
scoped key and the fingerprint on the resource they create, so a request the gateway forwards a
second time (its record was lost to a crash, or has expired) finds that resource instead of
making a second one. Both sides scope from the verified principal, so neither trusts a header
for whose key it is.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from pathwise_shared.auth import Principal
from pathwise_shared.problems import BadRequest, Conflict, UnprocessableContent

__all__ = [
    "HEADER",
    "REPLAYED_HEADER",
    "IdempotentRequest",
    "caller_scope",
    "check_key",
    "check_same_request",
    "idempotent_request",
    "in_progress",
    "request_fingerprint",
    "scoped_key",
    "stored_columns",
]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def check_key(key: str) -> str:
    """The key as sent, or a 400: a key we cannot store or log safely is refused, not trimmed."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not set(key) <= _KEY_CHARS:
        raise BadRequest(
            "Idempotency-Key must be 1-200 characters of letters, digits and -_.:",
            slug="invalid-idempotency-key",
        )
    return key


def caller_scope(principal: Principal) -> str:
    """Whose keys these are: kind, district and subject (a client id and a user id never meet)."""
    return f"{principal.kind}:{principal.district_id}:{principal.subject}"


def scoped_key(principal: Principal, key: str) -> str:
    """The key as the services store it: a hash of the caller and the key (64 hex characters,
    so a subject of any length fits and the column never holds a client's raw value)."""
    return hashlib.sha256(f"{caller_scope(principal)}\0{check_key(key)}".encode()).hexdigest()


def request_fingerprint(method: str, path: str, query: str, body: bytes | Iterable[str]) -> str:
    """A hash of the request. ``body`` is the raw bytes, or (where the bytes vary between
    identical retries, as a multipart boundary does) the parts that identify what was asked."""
    digest = hashlib.sha256()
    for part in (method.upper(), path, query):
        digest.update(part.encode() + b"\0")
    if isinstance(body, bytes):
        digest.update(body)
    else:
        for piece in body:
            digest.update(piece.encode() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class IdempotentRequest:
    """A keyed create as a service sees it: the scoped key and the request's fingerprint."""

    key: str
    fingerprint: str


def idempotent_request(
    principal: Principal,
    header: str | None,
    *,
    method: str,
    path: str,
    query: str,
    body: bytes | Iterable[str],
) -> IdempotentRequest | None:
    if header is None:
        return None
    return IdempotentRequest(
        scoped_key(principal, header), request_fingerprint(method, path, query, body)
    )


def stored_columns(request: IdempotentRequest | None) -> dict[str, str | None]:
    """What a service stores on the resource it creates (columns ``idempotency_key`` and
    ``request_hash``), so a later request with the key finds it and can be compared."""
    if request is None:
        return {"idempotency_key": None, "request_hash": None}
    return {"idempotency_key": request.key, "request_hash": request.fingerprint}


def check_same_request(stored_fingerprint: str | None, request: IdempotentRequest) -> None:
    """A stored key is only a replay when the request is the same one; otherwise 422.

    A resource stored without a fingerprint (before fingerprints were recorded) cannot be
    proven to be the same request, so it is refused too: a 422 asks for a new key, whereas
    handing back a possibly different resource would silently lose the caller's write."""
    if stored_fingerprint != request.fingerprint:
        raise UnprocessableContent(
            "This Idempotency-Key was already used for a different request; send a new key.",
            slug="idempotency-key-reused",
        )


def in_progress(retry_after_seconds: int) -> Conflict:
    """The first request with this key has not answered yet: retry after ``Retry-After``."""
    return Conflict(
        "A request with this Idempotency-Key is still in progress.",
        slug="idempotency-key-in-progress",
        headers={"Retry-After": str(max(1, retry_after_seconds))},
    )
