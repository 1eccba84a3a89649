"""Use cases of the signed inbound roster hook (docs/webhooks.md): the district's inbound secret,
and applying a verified batch of roster changes once per ``webhook-id``."""

import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook, WebhookVerificationError

from pathwise_gateway.webhooks import repository
from pathwise_gateway.webhooks.domain.signing import new_secret
from pathwise_gateway.webhooks.schemas import RosterChanges
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.inputs import loads_limited
from pathwise_shared.problems import Unauthorized, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = ["Applied", "apply_roster_changes", "rotate_inbound_secret", "verify_inbound"]


@dataclass(frozen=True)
class Applied:
    status: str  # applied, or duplicate (this webhook-id was applied before)
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


async def rotate_inbound_secret(
    session: AsyncSession, district_id: uuid.UUID
) -> tuple[str, datetime | None]:
    """A new inbound secret; the previous one (if any) keeps working for a day."""
    existing = await repository.get_inbound_secret(session, district_id)
    now = utcnow()
    expires = now + timedelta(days=1) if existing is not None else None
    secret = new_secret()
    await repository.save_inbound_secret(
        session, district_id, secret, existing.secret if existing else None, expires, now
    )
    return secret, expires


async def apply_roster_changes(
    session: AsyncSession,
    profiles: ServiceCaller,
    district_id: uuid.UUID,
    body: bytes,
    headers: dict[str, str],
) -> Applied:
    """Verify, parse and apply one signed batch, once per ``webhook-id``. If profiles fails, the
    receipt rolls back with the request's unit of work, so the sender's retry is applied."""
    verify_inbound(body, headers, await _secrets_of(session, district_id))
    webhook_id = headers["webhook-id"][:200]
    # Depth-limited: a deeply nested document was a RecursionError (500) in json.loads.
    document = loads_limited(body)
    try:
        changes = RosterChanges.model_validate(document)
    except ValidationError as exc:
        raise UnprocessableContent(
            "The body must hold users, classes and enrollments lists (and optionally force).",
            slug="bad-roster-changes",
        ) from exc
    if not await repository.insert_receipt(session, district_id, webhook_id, utcnow()):
        return Applied("duplicate", webhook_id)
    principal = Principal(subject="system:roster-hook", kind="system", district_id=district_id)
    result = await profiles.json(
        "POST", "/internal/roster/changes", principal, json=changes.model_dump()
    )
    return Applied("applied", webhook_id, result)
