"""Open Badges 3.0 credentials in the VC-JWT form: pure building, signing input, status lists.

A mastered skill or a completed goal becomes an ``AchievementCredential`` (VC Data Model 2.0
with the OB 3.0 context), secured as a compact JWS (VC-JOSE-COSE: the JWT payload *is* the
credential, ``typ: vc+jwt``), signed EdDSA (Ed25519) with the district's key. Revocation is a
Bitstring Status List: the credential's ``credentialStatus`` names a bit in the district's list;
revoking sets it. The list is itself a credential, secured the same way, and a verifier checks
its signature before it reads a bit (:func:`check_status`). Nothing here does I/O: the key store
and the tables are the service's.
"""

import base64
import binascii
import gzip
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "ALGORITHM",
    "OB_CONTEXT",
    "STATUS_LIST_SIZE",
    "VC_CONTEXT",
    "Failure",
    "IssuerUrls",
    "MalformedJws",
    "ParsedJws",
    "StatusEntry",
    "StatusList",
    "StatusListProblem",
    "achievement_credential",
    "b64url",
    "b64url_decode",
    "check_status",
    "check_validity",
    "compact",
    "goal_achievement",
    "issuer_profile",
    "new_key_pair",
    "parse_compact",
    "public_jwk",
    "sign",
    "signing_input",
    "skill_achievement",
    "status_list_credential",
    "verify_signature",
]

ALGORITHM = "EdDSA"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# 131,072 bits (16 KiB before compression): the Bitstring Status List minimum, so one bit set
# says nothing about which credential it is (herd privacy); indexes are drawn at random.
STATUS_LIST_SIZE = 131_072

# Why a credential does not verify (docs/assessment.md, "Credentials").
Failure = Literal[
    "malformed",
    "unknown_issuer",
    "bad_signature",
    "not_yet_valid",
    "expired",
    "status_unavailable",
    "revoked",
]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url (RFC 7515 §2); anything else raises ValueError."""
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class IssuerUrls:
    """Where a district's issuer documents are published (under the gateway's public base)."""

    base: str
    district_id: uuid.UUID

    @property
    def _root(self) -> str:
        return f"{self.base.rstrip('/')}/v1/public/districts/{self.district_id}"

    @property
    def issuer(self) -> str:
        return f"{self._root}/issuer"

    @property
    def jwks(self) -> str:
        return f"{self._root}/jwks.json"

    @property
    def status_list(self) -> str:
        return f"{self._root}/credentials/status"


# --- keys ----------------------------------------------------------------------------------


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair: (32-byte private seed, 32-byte public key)."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return seed, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_jwk(public_key: bytes, kid: str) -> dict[str, str]:
    """The public key as a JWK (RFC 8037: OKP, Ed25519)."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_key), "kid": kid, "alg": ALGORITHM, "use": "sig"}  # fmt: skip


def sign(seed: bytes, data: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(data)


def verify_signature(public_key: bytes, data: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- JWS compact serialization ----------------------------------------------------------------


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def signing_input(kid: str, payload: Mapping[str, Any]) -> bytes:
    """``BASE64URL(header) . BASE64URL(payload)`` of a VC-JWT (what the key signs)."""
    header = {"alg": ALGORITHM, "kid": kid, "typ": "vc+jwt", "cty": "vc"}
    return f"{b64url(_json(header))}.{b64url(_json(payload))}".encode("ascii")


def compact(data: bytes, signature: bytes) -> str:
    return f"{data.decode('ascii')}.{b64url(signature)}"


class MalformedJws(ValueError):
    """Not a compact JWS whose header and payload are JSON objects."""


@dataclass(frozen=True)
class ParsedJws:
    header: dict[str, Any]
    payload: dict[str, Any]
    signed: bytes
    signature: bytes


def parse_compact(token: str) -> ParsedJws:
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise MalformedJws("A compact JWS has three parts.")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
        raise MalformedJws("A part is not base64url-encoded JSON.") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise MalformedJws("The header and the payload must be JSON objects.")
    return ParsedJws(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def check_validity(payload: Mapping[str, Any], now: datetime) -> Failure | None:
    """The time window of a (signature-checked) credential: ``validFrom`` is required."""
    valid_from = _parse_time(payload.get("validFrom"))
    if valid_from is None:
        return "malformed"
    if now < valid_from:
        return "not_yet_valid"
    if "validUntil" in payload:
        valid_until = _parse_time(payload.get("validUntil"))
        if valid_until is None:
            return "malformed"
        if now >= valid_until:
            return "expired"
    return None


# --- documents ---------------------------------------------------------------------------------


def issuer_profile(urls: IssuerUrls, name: str) -> dict[str, Any]:
    """The OB 3.0 issuer ``Profile`` of a district."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": urls.issuer,
        "type": ["Profile"],
        "name": name,
    }


def skill_achievement(urls: IssuerUrls, skill_code: str) -> dict[str, Any]:
    """The ``Achievement`` of mastering ``skill_code``."""
    return {
        "id": f"urn:pathwise:district:{urls.district_id}:skill:{skill_code}",
        "type": ["Achievement"],
        "achievementType": "Competency",
        "humanCode": skill_code,
        "name": f"Mastery of {skill_code}",
        "description": f"Demonstrated mastery of the skill {skill_code}.",
        "criteria": {
            "narrative": "The learner's estimated probability of knowing the skill (Bayesian "
            "Knowledge Tracing over their scored answers) reached the mastery threshold, with "
            "enough evidence, at the time of issue."
        },
    }


def goal_achievement(
    urls: IssuerUrls, goal_id: uuid.UUID, title: str, skill_codes: Iterable[str]
) -> dict[str, Any]:
    """The ``Achievement`` of completing the learner's goal ``goal_id``: its title and its
    target skills (``tag``), the criteria those skills mastered. The goal's ``why`` (the
    learner's own words about it) stays out: a shared credential carries what was achieved."""
    codes = sorted(set(skill_codes))
    listed = ", ".join(codes)
    return {
        "id": f"urn:pathwise:district:{urls.district_id}:goal:{goal_id}",
        "type": ["Achievement"],
        "achievementType": "Achievement",
        "name": f"Goal completed: {title}",
        "description": f"Completed the learning goal \u201c{title}\u201d, mastering its target "
        f"skills: {listed}.",
        "tag": codes,
        "criteria": {
            "narrative": f"The learner completed the goal they set, and every one of its target "
            f"skills ({listed}) was mastered (Bayesian Knowledge Tracing over their scored "
            "evidence reached the mastery threshold, with enough evidence) at the time of issue."
        },
    }


def achievement_credential(
    *,
    urls: IssuerUrls,
    issuer_name: str,
    credential_id: uuid.UUID,
    learner_id: uuid.UUID,
    achievement: Mapping[str, Any],
    status_index: int,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The ``AchievementCredential`` saying the learner earned ``achievement`` (a skill's or a
    goal's, above).

    The subject is named by ``urn:uuid:<learner id>``: no name or e-mail leaves the district in
    a credential the learner may share anywhere."""
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": {"id": urls.issuer, "type": ["Profile"], "name": issuer_name},
        "validFrom": _iso(valid_from),
        "awardedDate": _iso(valid_from),
        "credentialSubject": {
            "id": f"urn:uuid:{learner_id}",
            "type": ["AchievementSubject"],
            "achievement": dict(achievement),
        },
        "credentialStatus": {
            "id": f"{urls.status_list}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": urls.status_list,
        },
    }
    if valid_until is not None:
        credential["validUntil"] = _iso(valid_until)
    return credential


class StatusList:
    """A Bitstring Status List: bit ``i`` is the ``i``-th bit counting from the most significant
    bit of the first byte (W3C Bitstring Status List v1.0, §"Bitstring Encoding")."""

    def __init__(self, size: int = STATUS_LIST_SIZE) -> None:
        if size <= 0 or size % 8:
            raise ValueError("A status list is a positive whole number of bytes.")
        self.size = size
        self._bits = bytearray(size // 8)

    @classmethod
    def with_set(cls, indexes: Iterable[int], size: int = STATUS_LIST_SIZE) -> "StatusList":
        found = cls(size)
        for index in indexes:
            found.set(index)
        return found

    def _check(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise IndexError(f"status index {index} outside 0..{self.size - 1}")

    def set(self, index: int, value: bool = True) -> None:
        self._check(index)
        mask = 0x80 >> (index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index // 8] & (0x80 >> (index % 8)))

    def encode(self) -> str:
        """``encodedList``: multibase base64url (prefix ``u``, no padding) of the GZIP of the
        bitstring. ``mtime=0`` keeps the encoding a function of the bits alone."""
        return "u" + b64url(gzip.compress(bytes(self._bits), mtime=0))

    @classmethod
    def decode(cls, encoded: str) -> "StatusList":
        if not encoded.startswith("u"):
            raise ValueError("encodedList must be multibase base64url (prefix 'u').")
        raw = gzip.decompress(b64url_decode(encoded[1:]))
        found = cls(len(raw) * 8)
        found._bits[:] = raw
        return found


def status_list_credential(
    urls: IssuerUrls, issuer_name: str, status: StatusList, valid_from: datetime
) -> dict[str, Any]:
    """The district's ``BitstringStatusListCredential`` (revocation), to be secured as a VC-JWT
    like the credentials it speaks for (:func:`signing_input`)."""
    return {
        "@context": [VC_CONTEXT],
        "id": urls.status_list,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": urls.issuer, "type": ["Profile"], "name": issuer_name},
        "validFrom": _iso(valid_from),
        "credentialSubject": {
            "id": f"{urls.status_list}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": status.encode(),
        },
    }


# --- checking a credential's status against the signed list -----------------------------------


class StatusListProblem(ValueError):
    """The status list cannot be trusted or read: its signature, its kind, its validity, its
    purpose or its size is not what the credential's entry needs (the Bitstring Status List
    validation algorithm's STATUS_VERIFICATION_ERROR, STATUS_LIST_LENGTH_ERROR, RANGE_ERROR)."""


@dataclass(frozen=True)
class StatusEntry:
    """A credential's ``BitstringStatusListEntry`` (revocation, one bit)."""

    index: int
    list_url: str

    @classmethod
    def of(cls, credential: Mapping[str, Any]) -> "StatusEntry":
        """The entry of a credential; ValueError when it has none this issuer writes."""
        entry = credential.get("credentialStatus")
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            raise ValueError("The credential names no BitstringStatusListEntry.")
        if entry.get("statusPurpose") != "revocation" or entry.get("statusSize", 1) != 1:
            raise ValueError("The status entry is not a one-bit revocation entry.")
        index_text, url = entry.get("statusListIndex"), entry.get("statusListCredential")
        if not isinstance(index_text, str) or not index_text.isascii() or not index_text.isdigit():
            raise ValueError("The statusListIndex is not a base-10 integer string.")
        if not isinstance(url, str) or not url:
            raise ValueError("The status entry names no statusListCredential.")
        return cls(int(index_text), url)


def _jwk_key(jwks: Mapping[str, Any], kid: Any) -> bytes:
    keys = jwks.get("keys")
    for jwk in keys if isinstance(keys, list) else []:
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                break
            try:
                return b64url_decode(str(jwk.get("x", "")))
            except ValueError:
                break
    raise StatusListProblem("The status list is not signed by a key of the issuer's JWKS.")


def check_status(
    entry: StatusEntry, list_token: str, jwks: Mapping[str, Any], now: datetime
) -> bool:
    """Is the entry's bit set in the status list ``list_token`` (a VC-JWT), whose signature is
    checked with the issuer's published ``jwks`` first? What a verifier elsewhere does with the
    list it fetches from ``entry.list_url``; raises :class:`StatusListProblem` when the list
    cannot be trusted or read (never a guess: an unreadable list does not mean "not revoked")."""
    try:
        parsed = parse_compact(list_token)
    except MalformedJws as exc:
        raise StatusListProblem(f"The status list is not a compact JWS: {exc}") from exc
    if parsed.header.get("alg") != ALGORITHM:
        raise StatusListProblem(f"The status list must be signed {ALGORITHM}.")
    if not verify_signature(
        _jwk_key(jwks, parsed.header.get("kid")), parsed.signed, parsed.signature
    ):
        raise StatusListProblem("The status list's signature does not match the issuer's key.")
    document = parsed.payload
    types = document.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise StatusListProblem("The status list is not a BitstringStatusListCredential.")
    if document.get("id") != entry.list_url:
        raise StatusListProblem("The status list is not the one the credential names.")
    if check_validity(document, now) is not None:
        raise StatusListProblem("The status list is not valid now.")
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        raise StatusListProblem("The status list's subject is not a BitstringStatusList.")
    purpose = subject.get("statusPurpose")
    if purpose != "revocation" and not (isinstance(purpose, list) and "revocation" in purpose):
        raise StatusListProblem("The status list is not a revocation list.")
    encoded = subject.get("encodedList")
    try:
        bits = StatusList.decode(encoded if isinstance(encoded, str) else "")
    except (ValueError, OSError, EOFError) as exc:  # gzip raises BadGzipFile (OSError), EOFError
        raise StatusListProblem("The status list's encodedList does not decode.") from exc
    if bits.size < STATUS_LIST_SIZE:
        raise StatusListProblem("The status list is shorter than 16 KiB (herd privacy).")
    if entry.index >= bits.size:
        raise StatusListProblem("The status index is outside the status list.")
    return bits.get(entry.index)
