"""The export jobs' table. Imported by Alembic's environment and the gateway's learner data map."""

from sqlalchemy import JSON, BigInteger, Column, Index, String, Table, Text, Uuid

from pathwise_gateway.models import Base
from pathwise_shared.db import UTCDateTime

__all__ = ["EXPORT_STATES", "learner_exports"]

EXPORT_STATES = ("queued", "running", "succeeded", "failed", "expired")

learner_exports = Table(
    "learner_exports",
    Base.metadata,
    Column("id", Uuid, primary_key=True),
    Column("district_id", Uuid, nullable=False),
    Column("learner_id", Uuid, nullable=False),
    # Who asked (a principal's subject: a user id) and as what, checked when the job was made.
    Column("requested_by", String(200), nullable=False),
    Column("requested_role", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    # host:pid:token of the process running it (pathwise_shared.runners).
    Column("runner", String(200), nullable=True),
    Column("storage_key", String(200), nullable=True),
    Column("size_bytes", BigInteger, nullable=True),
    Column("sha256", String(64), nullable=True),
    # Per service, per table row counts (the manifest's), once it succeeded.
    Column("counts", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_learner_exports_district_learner_id", "district_id", "learner_id", "id"),
    Index("ix_learner_exports_state", "state"),
)
