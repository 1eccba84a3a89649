"""The deletion jobs' table. Imported by Alembic's environment and the gateway's learner data map."""

from sqlalchemy import JSON, Column, Index, String, Table, Text, Uuid, text

from pathwise_gateway.models import Base
from pathwise_shared.db import UTCDateTime

__all__ = ["DELETION_ORIGINS", "DELETION_STATES", "UNFINISHED", "learner_deletions"]

DELETION_STATES = ("queued", "running", "succeeded", "failed", "refused")
DELETION_ORIGINS = ("request", "retention")
UNFINISHED = "state IN ('queued', 'running', 'failed')"

learner_deletions = Table(
    "learner_deletions",
    Base.metadata,
    Column("id", Uuid, primary_key=True),
    Column("district_id", Uuid, nullable=False),
    # The learner's id, only while the job is not done (a resumed job needs it); set to null in
    # the transaction that marks it succeeded. The tombstone is what stays.
    Column("learner_id", Uuid, nullable=True),
    Column("tombstone", String(64), nullable=False),
    Column("requested_by", String(200), nullable=False),
    # "request": a district administrator asked (requested_by is their subject); "retention":
    # the district's retention policy made the learner due (``retention`` holds the rule, the
    # day they left and the day it became due, recorded back in profiles' report).
    Column("origin", String(20), nullable=False),
    Column("retention", JSON, nullable=True),
    Column("state", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    # host:pid:token of the process running it (pathwise_shared.runners).
    Column("runner", String(200), nullable=True),
    # Per service done: the erase's counts ({"deleted": {table: n}, "pseudonymized": …}).
    Column("progress", JSON, nullable=False),
    # The deletion certificate, once succeeded.
    Column("certificate", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_learner_deletions_district_id", "district_id", "id"),
    Index("ix_learner_deletions_state", "state"),
    # One unfinished job per learner, whoever asks: two gateway processes (an administrator's
    # request and a retention round) checking for a job at the same moment cannot both insert.
    Index(
        "uq_learner_deletions_unfinished",
        "district_id",
        "tombstone",
        unique=True,
        postgresql_where=text(UNFINISHED),
        sqlite_where=text(UNFINISHED),
    ),
)
