"""The gateway's learner data map: every table, and how it relates to a learner
(docs/privacy.md).

Events: the gateway's ``event_log`` keeps every event it accepted, and an event about a learner
has a subject ``learner/<id>[/part]`` (or ``user/<id>/notifications`` for the learner's own
notifications, docs/events.md "Subjects"): those rows are the learner's (their envelopes copy
what the services hold), and so are their deliveries and the attempts of each delivery (which a
deletion removes with the event). An event with another subject (a class's
``enrollment.changed``) whose envelope names the learner anywhere is theirs too
(``Anywhere("envelope")``).

Imports every feature's tables (as Alembic's environment does), so the map sees the whole
metadata; ``app.py`` hands the map to the export job (a feature never imports this module).
"""

import pathwise_gateway.deletions.models as deletions
import pathwise_gateway.events.models as events
import pathwise_gateway.exports.models as exports
from pathwise_gateway.models import Base
from pathwise_shared.db.learner_data import (
    Anywhere,
    LearnerDataMap,
    LearnerTable,
    NoLearnerData,
    Subject,
    Via,
)

__all__ = ["LEARNER_DATA"]

_t = Base.metadata.tables
_EVENT_SUBJECTS = (Subject("subject"), Subject("subject", prefix="user/"))

LEARNER_DATA = LearnerDataMap(
    "gateway",
    Base.metadata,
    (
        LearnerTable(
            _t["audit_log"],
            learner_columns=("learner_id",),
            mentions=("actor",),
            note="who read or changed the learner's records (also access_log.json, with names)",
        ),
        LearnerTable(events.event_log, learner_columns=(*_EVENT_SUBJECTS, Anywhere("envelope"))),
        LearnerTable(events.event_deliveries, via=Via("event_id", events.event_log)),
        LearnerTable(events.webhook_attempts, via=Via("delivery_id", events.event_deliveries)),
        LearnerTable(exports.learner_exports, learner_columns=("learner_id",)),
        LearnerTable(_t["outbox"], learner_columns=(*_EVENT_SUBJECTS, Anywhere("envelope"))),
        LearnerTable(_t["event_sequences"], learner_columns=_EVENT_SUBJECTS),
        NoLearnerData(
            _t["api_clients"], why="integration clients (created_by is an administrator)"
        ),
        NoLearnerData(
            _t["idempotency_keys"],
            why="replayed answers of creating POSTs, kept idempotency_ttl_hours (at most 30 "
            "days) and keyed by the caller (principal), not the learner; a body may echo a "
            "learner's record for that long, and the record itself is exported where it lives",
        ),
        NoLearnerData(
            deletions.learner_deletions,
            why="a deletion job: the learner's id only while it runs (cleared in the "
            "transaction that completes it, never erased by it); the tombstone is a keyed hash "
            "and the certificate holds counts, no id",
        ),
        NoLearnerData(events.webhook_endpoints, why="a district's webhook configuration"),
        NoLearnerData(_t["inbound_webhook_secrets"], why="a district's inbound roster hook secret"),
        NoLearnerData(
            _t["inbound_webhook_receipts"], why="ids of inbound hooks already received (dedupe)"
        ),
    ),
)
