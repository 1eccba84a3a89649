"""Standard Webhooks signatures: ``v1,`` + base64(HMAC-SHA256(secret, ``id.timestamp.body``)).

Secrets are ``whsec_`` + base64 of 32 random bytes. During a rotation the previous secret signs
too, so ``webhook-signature`` carries both (space-separated) and a receiver holding either one
verifies the message.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

__all__ = ["SECRET_PREFIX", "new_secret", "secret_key", "sign", "webhook_headers"]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(
    msg_id: str, timestamp: int, body: bytes, secrets_: Iterable[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every given secret."""
    signatures = " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
