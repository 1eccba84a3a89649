"""Client secrets: random, shown once, stored as Argon2id hashes (argon2-cffi)."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_secret", "new_client_id", "new_client_secret", "verify_secret"]

_HASHER = PasswordHasher()
# Verifying against this when the client does not exist keeps the timing of "no such client"
# and "wrong secret" alike.
_DUMMY_HASH = _HASHER.hash("pathwise-no-such-client")


def new_client_id() -> str:
    return "pwc_" + secrets.token_hex(12)


def new_client_secret() -> str:
    return "pws_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
