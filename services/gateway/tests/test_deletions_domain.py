"""The deletion job's pure rules: the tombstone and the certificate (docs/privacy.md)."""

import uuid
from datetime import UTC, datetime

from pathwise_gateway.deletions.domain import DELETION_STEPS, certificate, tombstone

D, L = uuid.uuid4(), uuid.uuid4()


def test_the_tombstone_is_keyed_and_names_no_id() -> None:
    mark = tombstone("pepper-" * 6, D, L)
    assert mark == tombstone("pepper-" * 6, D, L) and len(mark) == 64
    assert mark != tombstone("another-" * 6, D, L)  # without the secret, no match
    assert mark != tombstone("pepper-" * 6, uuid.uuid4(), L)  # another district
    assert str(L) not in mark and L.hex not in mark


def test_the_certificate_counts_every_step_and_holds_no_id() -> None:
    at = datetime(2026, 11, 30, 12, tzinfo=UTC)
    progress = {
        "profiles": {"deleted": {"users": 1, "goals": 2}, "pseudonymized": {"messages": 1},
                     "files_deleted": 1},
        "gateway": {"deleted": {"audit_log": 4}, "pseudonymized": {}, "files_deleted": 0},
    }  # fmt: skip
    job = uuid.uuid4()
    cert = certificate(
        deletion_id=job, district_id=D, tombstone_hash="h" * 64, requested_by="admin",
        origin="request", retention=None, requested_at=at, completed_at=at, progress=progress,
        resumed=False,
    )  # fmt: skip
    assert list(cert["services"]) == list(DELETION_STEPS)
    assert cert["services"]["pathways"] == {"deleted": {}, "pseudonymized": {}, "files_deleted": 0}
    assert cert["rows_deleted"] == 7 and cert["files_deleted"] == 1
    assert cert["deletion_id"] == str(job) and cert["district_id"] == str(D)
    assert str(L) not in str(cert)
    assert cert["origin"] == "request" and cert["retention"] is None
