"""Open Badges 3.0 credentials for mastered skills: issue, list, revoke, publish, verify.

The learner asks for a credential for a skill they have mastered now; it is built
(``domain.credentials``), signed with the district's key (``credential_keys.KeyStore``) and
stored with ``credential.issued`` through the outbox, in one transaction. Teachers and admins of
the learner (the gateway checks the relation) may revoke it: the credential's bit in the
district's status list is then set (the list is computed from the revoked rows, so it cannot
drift from them) and ``credential.revoked`` goes out. The public half (issuer profile, JWKS,
status list, verification) takes the district from its path and reads nothing about a learner.
"""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import credentials as vc
from pathwise_assessment.models import Credential
from pathwise_assessment.repository import credentials as repo
from pathwise_assessment.service.access import is_student_only
from pathwise_assessment.service.credential_keys import DatabaseKeyStore, KeyStore
from pathwise_assessment.service.events import learner_subject
from pathwise_shared.auth import Principal
from pathwise_shared.db.outbox import publish
from pathwise_shared.events import new_event
from pathwise_shared.idempotency import IdempotentRequest, check_same_request, stored_columns
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Conflict, Forbidden, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Verification",
    "get_credential",
    "issue",
    "issuer_name",
    "issuer_profile",
    "jwks",
    "keystore",
    "list_credentials",
    "revoke",
    "status_list",
    "verify",
]

# The one place that chooses the key store (docs/assessment.md, "Credentials": a KMS plugs in
# here by implementing ``KeyStore``).
keystore: KeyStore = DatabaseKeyStore()
# Draws of a random status index before giving up (the list is 131,072 bits: a collision is
# rare until a district has issued tens of thousands of credentials).
_INDEX_DRAWS = 32


def issuer_name(district_id: uuid.UUID) -> str:
    """The issuer's display name. The district's name lives in profiles, which an anonymous
    read cannot ask; the profile names the district by its id."""
    return f"Pathwise district {district_id}"


async def _free_index(session: AsyncSession, district_id: uuid.UUID) -> int:
    for _ in range(_INDEX_DRAWS):
        index = secrets.randbelow(vc.STATUS_LIST_SIZE)
        if not await repo.index_taken(session, district_id, index):
            return index
    raise Conflict("The district's status list is full.", slug="status-list-full")


def _self(principal: Principal, learner_id: uuid.UUID) -> None:
    if principal.kind != "user" or principal.user_id != learner_id:
        raise Forbidden("Only the learner can ask for their credentials.", slug="not-the-learner")


async def issue(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    skill_code: str,
    public_base: str,
    idempotency: IdempotentRequest | None,
) -> tuple[Credential, bool]:
    """Issue the learner a credential for ``skill_code``; (credential, created)."""
    _self(principal, learner_id)
    district_id = principal.require_district()
    if idempotency is not None:
        existing = await repo.by_key(session, district_id, idempotency.key)
        if existing is not None:
            check_same_request(existing.request_hash, idempotency)
            return existing, False
    if not await repo.is_mastered(session, district_id, learner_id, skill_code):
        raise Conflict(
            f"Skill {skill_code} is not mastered now: a credential says it is.",
            slug="skill-not-mastered",
        )
    held = await repo.active_for_skill(session, district_id, learner_id, skill_code)
    if held is not None:
        raise Conflict(
            f"You already hold credential {held.id} for {skill_code}.",
            slug="credential-exists",
            credential_id=str(held.id),
        )
    key = await keystore.signing_key(session, district_id)
    now = utcnow()
    credential_id = new_id()
    index = await _free_index(session, district_id)
    urls = vc.IssuerUrls(public_base, district_id)
    payload = vc.achievement_credential(
        urls=urls,
        issuer_name=issuer_name(district_id),
        credential_id=credential_id,
        learner_id=learner_id,
        skill_code=skill_code,
        status_index=index,
        valid_from=now,
    )
    data = vc.signing_input(key.kid, payload)
    token = vc.compact(data, await keystore.sign(session, key, data))
    row = Credential(
        id=credential_id,
        district_id=district_id,
        learner_id=learner_id,
        skill_code=skill_code,
        status_index=index,
        kid=key.kid,
        jwt=token,
        issued_at=now,
        **stored_columns(idempotency),
    )
    session.add(row)
    await session.flush()
    await publish(
        session,
        new_event(
            "credential.issued",
            district_id=district_id,
            subject=learner_subject(learner_id),
            data={
                "learner_id": str(learner_id),
                "credential_id": str(credential_id),
                "skill_code": skill_code,
            },
        ),
    )
    return row, True


def _not_found() -> NotFound:
    return NotFound("No such credential.", slug="credential-not-found")


def _scope(principal: Principal, learner_id: uuid.UUID) -> uuid.UUID:
    """A student reads only their own (another learner's credentials do not exist for them)."""
    if (
        is_student_only(principal)
        and principal.has_role("student")
        and principal.user_id != learner_id
    ):
        raise NotFound("No such learner.", slug="learner-not-found")
    return principal.require_district()


async def list_credentials(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    after: uuid.UUID | None,
    limit: int,
) -> tuple[list[Credential], bool]:
    district_id = _scope(principal, learner_id)
    rows = await repo.list_for_learner(session, district_id, learner_id, after, limit)
    return rows[:limit], len(rows) > limit


async def get_credential(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential:
    district_id = _scope(principal, learner_id)
    row = await repo.get(session, district_id, credential_id)
    if row is None or row.learner_id != learner_id:
        raise _not_found()
    return row


async def revoke(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    credential_id: uuid.UUID,
    reason: str | None,
) -> Credential:
    """Revoke (teachers and admins of the learner: the gateway checked the relation). Revoking
    a revoked credential changes nothing and publishes nothing."""
    district_id = principal.require_district()
    row = await repo.lock_for_revoke(session, district_id, credential_id)
    if row is None or row.learner_id != learner_id:
        raise _not_found()
    if row.revoked_at is not None:
        return row
    repo.touch_revoked(row, by=principal.subject, reason=reason, now=utcnow())
    await session.flush()
    await publish(
        session,
        new_event(
            "credential.revoked",
            district_id=district_id,
            subject=learner_subject(learner_id),
            data={
                "learner_id": str(learner_id),
                "credential_id": str(credential_id),
                "skill_code": row.skill_code,
            },
        ),
    )
    return row


# --- public: no principal to scope by, the district is the path's --------------------------


async def _known_issuer(session: AsyncSession, district_id: uuid.UUID) -> None:
    if await keystore.public_key(session, district_id=district_id) is None:
        raise NotFound("This district has issued no credentials.", slug="issuer-not-found")


async def jwks(session: AsyncSession, district_id: uuid.UUID) -> dict[str, Any]:
    key = await keystore.public_key(session, district_id=district_id)
    if key is None:
        raise NotFound("This district has issued no credentials.", slug="issuer-not-found")
    return {"keys": [key.jwk()]}


async def issuer_profile(
    session: AsyncSession, district_id: uuid.UUID, public_base: str
) -> dict[str, Any]:
    await _known_issuer(session, district_id)
    return vc.issuer_profile(vc.IssuerUrls(public_base, district_id), issuer_name(district_id))


async def status_list(
    session: AsyncSession, district_id: uuid.UUID, public_base: str
) -> dict[str, Any]:
    await _known_issuer(session, district_id)
    bits = vc.StatusList.with_set(await repo.revoked_indexes(session, district_id))
    return vc.status_list_credential(
        vc.IssuerUrls(public_base, district_id), issuer_name(district_id), bits, utcnow()
    )


@dataclass(frozen=True)
class Verification:
    verified: bool
    reason: vc.Failure | None
    detail: str
    credential: dict[str, Any] | None = None


def _failed(reason: vc.Failure, detail: str, payload: dict[str, Any] | None = None) -> Verification:
    return Verification(False, reason, detail, payload)


async def verify(
    session: AsyncSession, token: str, public_base: str, now: datetime | None = None
) -> Verification:
    """Verify a credential this deployment issued: signature with the issuer's key, issuer,
    time window, then revocation. The first failure is the answer."""
    try:
        parsed = vc.parse_compact(token)
    except vc.MalformedJws as exc:
        return _failed("malformed", str(exc))
    kid = parsed.header.get("kid")
    if parsed.header.get("alg") != vc.ALGORITHM or not isinstance(kid, str):
        return _failed("malformed", f"The header must name alg {vc.ALGORITHM} and a kid.")
    key = await keystore.public_key(session, kid=kid)
    if key is None:
        return _failed("unknown_issuer", "No district of this deployment has this key.")
    if not vc.verify_signature(key.public_key, parsed.signed, parsed.signature):
        return _failed("bad_signature", "The signature does not match the issuer's key.")
    payload = parsed.payload
    urls = vc.IssuerUrls(public_base, key.district_id)
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != urls.issuer:
        # A district's key vouches only for credentials in that district's name.
        return _failed("unknown_issuer", "The key does not belong to the issuer named.", payload)
    window = vc.check_validity(payload, now or utcnow())
    if window is not None:
        return _failed(window, f"The credential is {window.replace('_', ' ')}.", payload)
    status = payload.get("credentialStatus")
    index_text = status.get("statusListIndex") if isinstance(status, dict) else None
    if not isinstance(index_text, str) or not index_text.isdigit():
        return _failed("malformed", "The credential names no status list entry.", payload)
    index = int(index_text)
    if index >= vc.STATUS_LIST_SIZE:
        return _failed("malformed", "The status list index is out of range.", payload)
    bits = vc.StatusList.with_set(await repo.revoked_indexes(session, key.district_id))
    if bits.get(index):
        return _failed("revoked", "The issuer has revoked this credential.", payload)
    return Verification(True, None, "Signed by the issuer, valid now and not revoked.", payload)
