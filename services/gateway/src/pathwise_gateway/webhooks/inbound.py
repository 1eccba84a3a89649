"""The signed inbound roster hook: a district's SIS pushes OneRoster-shaped changes.

``POST /v1/webhooks/inbound/roster/{district_id}`` carries no bearer token: the Standard Webhooks
signature made with the district's inbound secret is the authentication. A bad signature or a
timestamp more than five minutes off is a 401; a ``webhook-id`` already applied is acknowledged
and not applied again; the changes go to profiles (``POST /internal/roster/changes``) as the
system principal of that district. If profiles fails, the receipt rolls back with the request,
so the sender's retry is applied.
"""

import binascii
import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook, WebhookVerificationError

from pathwise_gateway.authz import gateway_access
from pathwise_gateway.events.hub import EventHub
from pathwise_gateway.security import CallerPrincipal
from pathwise_gateway.upstreams import Upstreams
from pathwise_gateway.webhooks import repository
from pathwise_gateway.webhooks.signing import new_secret
from pathwise_shared.app import DbSession
from pathwise_shared.auth import Principal
from pathwise_shared.inputs import loads_limited
from pathwise_shared.problems import (
    PayloadTooLarge,
    Unauthorized,
    UnprocessableContent,
    problem_responses,
)
from pathwise_shared.timeutil import utcnow

__all__ = ["RosterChanges", "router", "verify_inbound"]

router = APIRouter(prefix="/v1/webhooks/inbound", tags=["webhooks"])

MAX_RECORDS = 10_000


class RosterChanges(BaseModel):
    """OneRoster-shaped records; profiles validates each one."""

    model_config = ConfigDict(extra="forbid")

    users: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    classes: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    enrollments: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)


class InboundSecretOut(BaseModel):
    secret: str
    previous_secret_expires_at: Any = None


class InboundAnswer(BaseModel):
    status: str = Field(description="applied, or duplicate (this webhook-id was applied before)")
    webhook_id: str
    result: Any = None


def _bad_signature() -> Unauthorized:
    return Unauthorized("The webhook signature is missing, stale or invalid.", slug="bad-signature")


def verify_inbound(body: bytes, headers: dict[str, str], secrets: list[str]) -> None:
    """Raise unless one of ``secrets`` signed ``body`` (Standard Webhooks, 5 minute tolerance)."""
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return
        except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError):
            continue
    raise _bad_signature()


async def _secrets_of(session: AsyncSession, district_id: uuid.UUID) -> list[str]:
    row = await repository.get_inbound_secret(session, district_id)
    if row is None:
        return []
    secrets = [row.secret]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > utcnow():
        secrets.append(row.previous_secret)
    return secrets


@router.post(
    "/roster/secret",
    response_model=InboundSecretOut,
    summary="Create or rotate the district's inbound roster signing secret",
    **gateway_access(roles=["district_admin"], scopes=["roster:write"], action="write"),
)
async def rotate_inbound_secret(session: DbSession, principal: CallerPrincipal) -> InboundSecretOut:
    district_id = principal.require_district()
    existing = await repository.get_inbound_secret(session, district_id)
    now = utcnow()
    expires = now + timedelta(days=1) if existing is not None else None
    secret = new_secret()
    await repository.save_inbound_secret(
        session, district_id, secret, existing.secret if existing else None, expires, now
    )
    return InboundSecretOut(secret=secret, previous_secret_expires_at=expires)


@router.post(
    "/roster/{district_id}",
    response_model=InboundAnswer,
    summary="Signed roster changes from the district's SIS (Standard Webhooks)",
    responses=problem_responses(400, 401, 413, 422, 503),
)
async def receive_roster_changes(
    district_id: uuid.UUID, request: Request, session: DbSession
) -> InboundAnswer:
    hub: EventHub = request.app.state.event_hub
    limit = hub.settings.inbound_max_bytes
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    verify_inbound(body, dict(request.headers), await _secrets_of(session, district_id))
    webhook_id = request.headers["webhook-id"][:200]
    # Depth-limited: a deeply nested document was a RecursionError (500) in json.loads.
    document = loads_limited(body)
    try:
        changes = RosterChanges.model_validate(document)
    except ValidationError as exc:
        raise UnprocessableContent(
            "The body must hold users, classes and enrollments lists.", slug="bad-roster-changes"
        ) from exc
    if not await repository.insert_receipt(session, district_id, webhook_id, utcnow()):
        return InboundAnswer(status="duplicate", webhook_id=webhook_id)
    upstreams: Upstreams = request.app.state.upstreams
    principal = Principal(subject="system:roster-hook", kind="system", district_id=district_id)
    result = await upstreams["profiles"].caller.json(
        "POST", "/internal/roster/changes", principal, json=changes.model_dump()
    )
    return InboundAnswer(status="applied", webhook_id=webhook_id, result=result)
