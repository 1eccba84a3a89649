"""The deletion job's rules: the steps in order, the tombstone and the certificate (pure)."""

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["DELETION_STEPS", "RETENTION_REQUESTER", "RETENTION_STEP", "certificate", "tombstone"]

# Profiles first: its erase asks the legal hold again (409, nothing changed anywhere) and ends
# the learner's enrollments and roster record, so no one reaches the learner while the others
# are erased; the gateway last, in the transaction that marks the job done (its audit entries
# of the deletion itself go with it). Each erase is idempotent, so a resumed job runs the steps
# not recorded as done, and a step done but not recorded simply answers zeros.
DELETION_STEPS = ("profiles", "pathways", "assessment", "gateway")
# A deletion the retention policy made is recorded in profiles' retention report (by deletion
# and tombstone) once the others are erased, before the gateway's last step: the report lists
# it exactly when the job succeeds or is about to. Kept in ``progress`` under this key.
RETENTION_STEP = "retention-report"
# The certificate's ``requested_by`` of a deletion the retention policy made.
RETENTION_REQUESTER = "retention policy"


def tombstone(pepper: str, district_id: uuid.UUID, learner_id: uuid.UUID) -> str:
    """sha256 of a server secret, the district and the learner: the same learner always gives
    the same hash (a system holding the id can ask "was this one deleted?" with the gateway's
    help), and without the secret the hash cannot be tested against guessed ids."""
    material = f"{pepper}\n{district_id}\n{learner_id}".encode()
    return hashlib.sha256(material).hexdigest()


def certificate(
    *,
    deletion_id: uuid.UUID,
    district_id: uuid.UUID,
    tombstone_hash: str,
    requested_by: str,
    origin: str,
    retention: Mapping[str, Any] | None,
    requested_at: datetime,
    completed_at: datetime,
    progress: Mapping[str, Mapping[str, Any]],
    resumed: bool,
) -> dict[str, Any]:
    """The deletion certificate: what was erased, per service and table, when, and why
    (``origin``: an administrator's request, or the district's retention policy with the rule
    that made the learner due); never the learner's id."""
    services: dict[str, dict[str, Any]] = {}
    rows = files = 0
    for name in DELETION_STEPS:
        done = progress.get(name, {})
        deleted = {str(k): int(v) for k, v in done.get("deleted", {}).items()}
        pseudonymized = {str(k): int(v) for k, v in done.get("pseudonymized", {}).items()}
        files_deleted = int(done.get("files_deleted", 0))
        rows += sum(deleted.values())
        files += files_deleted
        services[name] = {
            "deleted": deleted,
            "pseudonymized": pseudonymized,
            "files_deleted": files_deleted,
        }
    return {
        "deletion_id": str(deletion_id),
        "district_id": str(district_id),
        "tombstone": tombstone_hash,
        "requested_by": requested_by,
        "origin": origin,
        "retention": dict(retention) if retention is not None else None,
        "requested_at": requested_at.isoformat(),
        "completed_at": completed_at.isoformat(),
        "services": services,
        "rows_deleted": rows,
        "files_deleted": files,
        # A job interrupted after a service erased but before it was recorded counts zero for
        # that service on the second call: the counts are then a lower bound.
        "resumed": resumed,
    }
