"""The gateway part of the demo district (``make run``): a demo integration client of Riverside
Unified and, when the launcher runs the demo webhook receiver, its webhook endpoint.

The credentials and the endpoint's signing secret are fixed, published demo values so that the
receiver (``python -m pathwise_devstack.receiver``) can verify what it gets and a developer can
copy the ``curl`` lines ``make run`` prints. They exist only in a demo database seeded by the
launcher; nothing else ever creates them.
"""

import base64
import hashlib
import os
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.clients import repository as clients_repo
from pathwise_gateway.clients.service import CLIENT_SCOPES, create_client
from pathwise_gateway.webhooks import repository as webhooks_repo
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_DISTRICT",
    "DEMO_ENDPOINT_ID",
    "DEMO_WEBHOOK_SECRET",
    "DISTRICT_B",
    "DISTRICT_B_CLIENT_ID",
    "DISTRICT_B_CLIENT_SECRET",
    "seed_demo",
    "seed_district_b",
]

DEMO_DISTRICT = demo_id("district", "riverside")
DEMO_CLIENT_ID = "demo-sis"
DEMO_CLIENT_SECRET = "pws_demo-sis-secret-for-development-only"  # noqa: S105 - a published demo value
# A valid ``whsec_`` secret (32 bytes), derived from a fixed phrase so every run has the same one.
DEMO_WEBHOOK_SECRET = (
    "whsec_" + base64.b64encode(hashlib.sha256(b"pathwise demo webhook endpoint").digest()).decode()
)
DEMO_ENDPOINT_ID = demo_id("webhook-endpoint", "demo-sis")
# What owns an endpoint: the subject of the client's access tokens (see ``webhooks.service``).
_OWNER = f"client:{DEMO_CLIENT_ID}"


# District B of the security tests (see ``pathwise_profiles.seed_lakeside.DISTRICT_B``): its own
# integration client, every scope, so a client of one district can be pointed at the other's data.
DISTRICT_B = demo_id("district", "lakeside")
DISTRICT_B_CLIENT_ID = "lakeside-sis"
DISTRICT_B_CLIENT_SECRET = "pws_lakeside-sis-secret-for-tests-only"  # noqa: S105 - a test value


async def _ensure_client(
    session: AsyncSession,
    district_id: uuid.UUID = DEMO_DISTRICT,
    client_id: str = DEMO_CLIENT_ID,
    secret: str = DEMO_CLIENT_SECRET,
    name: str = "Demo SIS (make run)",
) -> bool:
    if await clients_repo.get_by_client_id(session, client_id) is not None:
        return False
    seeder = Principal(subject="seed:demo", kind="system", district_id=district_id)
    await create_client(
        session,
        seeder,
        name=name,
        scopes=sorted(CLIENT_SCOPES),
        client_id=client_id,
        secret=secret,
    )
    return True


async def _ensure_endpoint(session: AsyncSession, url: str) -> str:
    """Create the endpoint, or point it at this run's receiver (its port may differ per run)."""
    now = utcnow()
    current = await webhooks_repo.get_endpoint(session, DEMO_DISTRICT, _OWNER, DEMO_ENDPOINT_ID)
    values: dict[str, Any] = {
        "url": url,
        "enabled": True,
        "disabled_reason": None,
        "failing_since": None,
        "secret": DEMO_WEBHOOK_SECRET,
        "previous_secret": None,
        "previous_secret_expires_at": None,
        "updated_at": now,
    }
    if current is None:
        await webhooks_repo.insert_endpoint(
            session,
            {
                "id": DEMO_ENDPOINT_ID,
                "district_id": DEMO_DISTRICT,
                "client_id": _OWNER,
                "description": "The demo receiver of make run (every event type)",
                "event_types": [],
                "created_at": now,
                **values,
            },
        )
        return "created"
    if current.url == url and current.enabled and current.secret == DEMO_WEBHOOK_SECRET:
        return "present"
    await webhooks_repo.update_endpoint(session, DEMO_ENDPOINT_ID, values)
    return "updated"


async def seed_demo(database_url: str, webhook_url: str | None = None) -> list[str]:
    """The demo client; with ``webhook_url``, also its endpoint (all event types) there."""
    if os.environ.get("PATHWISE_ENV", "development").lower() == "production":
        # Published credentials have no place in a production database.
        return ["gateway: no demo integration client in production"]
    db = Database(database_url)
    try:
        async with unit_of_work(db) as session:
            added = await _ensure_client(session)
            endpoint = await _ensure_endpoint(session, webhook_url) if webhook_url else None
    finally:
        await db.dispose()
    lines = [
        f"gateway: demo integration client {DEMO_CLIENT_ID} "
        f"{'created' if added else 'already present'}"
    ]
    if endpoint is not None:
        lines.append(f"gateway: demo webhook endpoint {endpoint} -> {webhook_url}")
    return lines


async def seed_district_b(database_url: str) -> list[str]:
    """District B's integration client (tests only; never in production)."""
    if os.environ.get("PATHWISE_ENV", "development").lower() == "production":
        return ["gateway: no district B client in production"]
    db = Database(database_url)
    try:
        async with unit_of_work(db) as session:
            added = await _ensure_client(
                session,
                DISTRICT_B,
                DISTRICT_B_CLIENT_ID,
                DISTRICT_B_CLIENT_SECRET,
                "Lakeside SIS (security tests)",
            )
    finally:
        await db.dispose()
    return [
        f"gateway: district B client {DISTRICT_B_CLIENT_ID} "
        f"{'created' if added else 'already present'}"
    ]
