"""Open Badges 3.0 credentials: the learner's (issue, list, read, download), the staff's
revocation, and the public issuer documents and verification (no token: declared anonymous)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Response as HttpResponse

from pathwise_assessment.api.deps import IdempotencyKey, UpstreamsDep
from pathwise_assessment.domain.credentials import parse_compact
from pathwise_assessment.models import Credential
from pathwise_assessment.schemas.credentials import (
    CredentialIn,
    CredentialOut,
    RevokeIn,
    VerificationOut,
    VerifyIn,
)
from pathwise_assessment.service import credentials as service
from pathwise_shared.access import ALL_USERS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.idempotency import REPLAYED_HEADER
from pathwise_shared.pagination import (
    CursorParam,
    LimitParam,
    Page,
    decode_id_cursor,
    encode_cursor,
)

__all__ = ["router"]

router = APIRouter(tags=["credentials"])
PUBLIC = "/v1/public/districts/{district_id}"
VC_JWT = "application/vc+jwt"


async def _public_base(request: Request) -> str:
    """Where the public documents live: the gateway's address (credentials name it)."""
    base: str = request.app.state.settings.gateway_url
    return base


PublicBase = Annotated[str, Depends(_public_base)]


def _out(row: Credential) -> CredentialOut:
    return CredentialOut(
        id=row.id,
        learner_id=row.learner_id,
        skill_code=row.skill_code,
        goal_id=row.goal_id,
        issued_at=row.issued_at,
        revoked_at=row.revoked_at,
        revoke_reason=row.revoke_reason,
        jwt=row.jwt,
        credential=parse_compact(row.jwt).payload,
    )


@router.post(
    "/v1/learners/{learner_id}/credentials",
    status_code=201,
    response_model=CredentialOut,
    **access(roles={"student"}, action="write", learner="learner_id"),
)
async def issue_credential(
    learner_id: uuid.UUID,
    body: CredentialIn,
    session: DbSession,
    principal: CurrentPrincipal,
    response: HttpResponse,
    idempotency_key: IdempotencyKey,
    base: PublicBase,
    upstreams: UpstreamsDep,
) -> CredentialOut:
    """The learner asks for an Open Badges 3.0 credential for a skill they have mastered now
    (``skill_code``; 409 ``skill-not-mastered`` otherwise) or for a goal of theirs that is
    completed (``goal_id``; 404 ``goal-not-found``, 409 ``goal-not-completed``,
    ``goal-without-skills`` or ``goal-skills-not-mastered`` otherwise); 409
    ``credential-exists`` when they hold one."""
    row, created = await service.issue(
        session,
        upstreams,
        principal,
        learner_id,
        base,
        idempotency_key,
        skill_code=body.skill_code,
        goal_id=body.goal_id,
    )
    if not created:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    return _out(row)


@router.get(
    "/v1/learners/{learner_id}/credentials",
    response_model=Page[CredentialOut],
    **access(roles=ALL_USERS, learner="learner_id"),
)
async def list_credentials(
    learner_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[CredentialOut]:
    rows, more = await service.list_credentials(
        session, principal, learner_id, decode_id_cursor(cursor), limit
    )
    return Page[CredentialOut](
        items=[_out(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )


@router.get(
    "/v1/learners/{learner_id}/credentials/{credential_id}",
    response_model=CredentialOut,
    **access(roles=ALL_USERS, learner="learner_id"),
)
async def get_credential(
    learner_id: uuid.UUID, credential_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CredentialOut:
    """One credential: the compact JWT and its decoded JSON."""
    return _out(await service.get_credential(session, principal, learner_id, credential_id))


_READ = access(roles=ALL_USERS, learner="learner_id")


@router.get(
    "/v1/learners/{learner_id}/credentials/{credential_id}/jwt",
    response_class=HttpResponse,
    **{
        **_READ,
        "responses": {
            **_READ["responses"],
            200: {"content": {VC_JWT: {"schema": {"type": "string"}}}},
        },
    },
)
async def download_credential(
    learner_id: uuid.UUID, credential_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> HttpResponse:
    """The credential as a file to share (``application/vc+jwt``)."""
    row = await service.get_credential(session, principal, learner_id, credential_id)
    return HttpResponse(
        content=row.jwt,
        media_type=VC_JWT,
        headers={
            "Content-Disposition": f'attachment; filename="credential-{row.id}.jwt"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/v1/learners/{learner_id}/credentials/{credential_id}/revoke",
    response_model=CredentialOut,
    **access(roles=STAFF, action="write", learner="learner_id"),
)
async def revoke_credential(
    learner_id: uuid.UUID,
    credential_id: uuid.UUID,
    body: RevokeIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CredentialOut:
    """Revoke (teachers and admins of the learner): its status list bit is set; revoking
    again changes nothing."""
    return _out(await service.revoke(session, principal, learner_id, credential_id, body.reason))


# --- public: no token (access(anonymous=True)); the district is the path's -------------------


@router.get(PUBLIC + "/jwks.json", **access(anonymous=True))
async def issuer_jwks(district_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    """The district's public signing key(s) as a JWK Set."""
    return await service.jwks(session, district_id)


@router.get(PUBLIC + "/issuer", **access(anonymous=True))
async def issuer_profile(
    district_id: uuid.UUID, session: DbSession, base: PublicBase
) -> dict[str, Any]:
    """The district's Open Badges 3.0 issuer Profile."""
    return await service.issuer_profile(session, district_id, base)


_ANONYMOUS = access(anonymous=True)


@router.get(
    PUBLIC + "/credentials/status",
    response_class=HttpResponse,
    **{
        **_ANONYMOUS,
        "responses": {
            **_ANONYMOUS["responses"],
            200: {"content": {VC_JWT: {"schema": {"type": "string"}}}},
        },
    },
)
async def status_list(district_id: uuid.UUID, session: DbSession, base: PublicBase) -> HttpResponse:
    """The district's revocation list: a BitstringStatusListCredential secured as a VC-JWT
    (``application/vc+jwt``) signed with the district's key, the JWKS's. What every
    credential's ``credentialStatus.statusListCredential`` names."""
    token = await service.status_list_token(session, district_id, base)
    return HttpResponse(
        content=token, media_type=VC_JWT, headers={"X-Content-Type-Options": "nosniff"}
    )


@router.post(
    "/v1/public/credentials/verify", response_model=VerificationOut, **access(anonymous=True)
)
async def verify_credential(
    body: VerifyIn, session: DbSession, base: PublicBase
) -> VerificationOut:
    """Verify a credential issued here: verified, or why not (``malformed``,
    ``unknown_issuer``, ``bad_signature``, ``not_yet_valid``, ``expired``,
    ``status_unavailable``, ``revoked``). Revocation is read from the district's signed status
    list, its signature checked with the district's JWKS."""
    found = await service.verify(session, body.credential, base)
    return VerificationOut(
        verified=found.verified,
        reason=found.reason,
        detail=found.detail,
        credential=found.credential,
    )
