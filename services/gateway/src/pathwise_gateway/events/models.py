"""Tables of the event hub and webhooks (SQLAlchemy Core: the dispatcher's hot path is Core).

Imported by ``pathwise_gateway.models`` so the gateway's metadata (and Alembic) sees them.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
)

from pathwise_gateway.models import Base
from pathwise_shared.db import UTCDateTime

__all__ = [
    "DELIVERY_STATUSES",
    "event_deliveries",
    "event_log",
    "inbound_receipts",
    "inbound_secrets",
    "webhook_attempts",
    "webhook_endpoints",
]

DELIVERY_STATUSES = ("pending", "succeeded", "failed")

# Every event the gateway accepted, once (the primary key is the event id: ingest is idempotent).
event_log = Table(
    "event_log",
    Base.metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("district_id", Uuid, nullable=True),
    Column("subject", String(200), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("source", String(200), nullable=False),
    Column("envelope", JSON, nullable=False),
    # The envelope's per-subject number (docs/events.md, "Order"); NULL for events stored before
    # sequences existed, or relayed from an outbox row written before them.
    Column("sequence", Integer, nullable=True),
    Index("ix_event_log_district_id_id", "district_id", "id"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    Base.metadata,
    Column("id", Uuid, primary_key=True),
    Column("district_id", Uuid, nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("description", String(500), nullable=False, server_default=""),
    Column("event_types", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(200), nullable=True),
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),
    Column("previous_secret_expires_at", UTCDateTime, nullable=True),
    Column("failing_since", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_webhook_endpoints_district_client_id", "district_id", "client_id", "id"),
)

# One row per (event, target): a webhook endpoint, or an internal subscriber (a service name).
event_deliveries = Table(
    "event_deliveries",
    Base.metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Uuid, ForeignKey("event_log.id"), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("district_id", Uuid, nullable=True),
    Column(
        "endpoint_id", Uuid, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=True
    ),
    Column("subscriber", String(50), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempt_count", Integer, nullable=False, server_default="0"),
    # When the next attempt is due; while an attempt is in flight, the end of its lease.
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
    CheckConstraint("(endpoint_id IS NULL) <> (subscriber IS NULL)", name="one_target"),
    Index("ix_event_deliveries_due", "status", "next_attempt_at"),
    Index("ix_event_deliveries_endpoint", "endpoint_id", "status", "id"),
    Index("ix_event_deliveries_event_id", "event_id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    Base.metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "delivery_id",
        Uuid,
        ForeignKey("event_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("error", String(300), nullable=True),
    Column("response_excerpt", String(500), nullable=True),
    Index("ix_webhook_attempts_delivery_id_id", "delivery_id", "id"),
)

# The secret a district's SIS signs its inbound roster hooks with (rotation keeps the old one).
inbound_secrets = Table(
    "inbound_webhook_secrets",
    Base.metadata,
    Column("district_id", Uuid, primary_key=True),
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),
    Column("previous_secret_expires_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Inbound hooks already applied, by the sender's webhook-id (duplicates are acknowledged only).
inbound_receipts = Table(
    "inbound_webhook_receipts",
    Base.metadata,
    Column("district_id", Uuid, nullable=False),
    Column("webhook_id", String(200), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("district_id", "webhook_id"),
    Index("ix_inbound_webhook_receipts_received_at", "received_at"),
)
