"""A district's SIS pushes a roster change through the real gateway to the real profiles service:
signed with the ``standardwebhooks`` library, verified by the gateway, applied by profiles; and a
OneRoster CSV upload passes through the gateway to the profiles import."""

import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from pathwise_devstack.testing import dev_login
from pathwise_profiles.oneroster_samples import manifest, zipped
from pathwise_profiles.seed import DEMO_DISTRICT

pytestmark = pytest.mark.integration


def _signed(secret: str, body: bytes, msg_id: str) -> dict[str, str]:
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, now, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def _find(gw: httpx.Client, admin: dict[str, str], username: str) -> list[dict[str, object]]:
    page = gw.get("/v1/users", params={"username": username}, headers=admin)
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


def test_signed_roster_change_reaches_profiles(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    secret = gw.post("/v1/webhooks/inbound/roster/secret", headers=admin)
    assert secret.status_code == 200, secret.text
    username = f"sis-{uuid.uuid4().hex[:8]}"
    payload = {
        "users": [
            {"sourcedId": username, "status": "active", "username": username,
             "givenName": "Sol", "familyName": "Reyes", "enabledUser": "true", "grades": ["03"],
             "roles": [{"roleType": "primary", "role": "student",
                        "org": {"sourcedId": "riverside-elementary"}}]},
        ],
        "classes": [],
        "enrollments": [
            {"sourcedId": f"{username}-e", "role": "student",
             "class": {"sourcedId": "grade3-math"}, "user": {"sourcedId": username}},
        ],
    }  # fmt: skip
    body = json.dumps(payload).encode()
    path = f"/v1/webhooks/inbound/roster/{DEMO_DISTRICT}"

    forged = gw.post(path, content=body, headers=_signed("whsec_" + "A" * 43, body, "sis-forged"))
    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert _find(gw, admin, username) == []

    msg_id = f"sis-{uuid.uuid4().hex}"
    answer = gw.post(path, content=body, headers=_signed(secret.json()["secret"], body, msg_id))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied"
    assert answer.json()["result"]["applied"] == 2
    assert answer.json()["result"]["errors"] == []
    (created,) = _find(gw, admin, username)
    assert created["roles"] == ["student"] and created["grade"] == "03"
    teacher = dev_login(gw, "teacher-01")
    profile = gw.get(f"/v1/learners/{created['id']}/profile", headers=teacher)
    assert profile.status_code == 200, profile.text  # teacher-01 teaches grade 3 math

    replay = gw.post(path, content=body, headers=_signed(secret.json()["secret"], body, msg_id))
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"


def test_csv_import_dry_run_through_the_gateway(gw: httpx.Client) -> None:
    """The multipart upload and the job's progress pass through the gateway unchanged."""
    admin = dev_login(gw, "admin-district")
    files = {
        "manifest.csv": manifest(users="delta"),
        "users.csv": "sourcedId,username,givenName,familyName,role,orgSourcedIds,grades\n"
        "csv-1,csv.one,Cam,Sato,student,riverside-elementary,03\n",
    }
    started = gw.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", zipped(files), "application/zip")},
        data={"dry_run": "true"},
        headers=admin,
    )
    assert started.status_code == 202, started.text
    job = started.json()
    for _ in range(100):
        job = gw.get(f"/v1/roster/imports/{job['id']}", headers=admin).json()
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert job["state"] == "succeeded", job
    assert job["report"]["diff"]["users"]["samples"]["created"] == ["csv-1"]
    assert _find(gw, admin, "csv.one") == []  # a dry run writes nothing
    teacher = dev_login(gw, "teacher-01")
    denied = gw.post(
        "/v1/roster/imports",
        files={"file": ("roster.zip", zipped(files), "application/zip")},
        headers=teacher,
    )
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")


def test_a_signed_batch_deleting_every_student_is_refused(gw: httpx.Client) -> None:
    """The mass-change guard of imports weighs pushed batches too: a SIS bug marking every demo
    student tobedeleted answers 409 to the sender, and nothing (not even the receipt) is kept."""
    admin = dev_login(gw, "admin-district")
    secret = gw.post("/v1/webhooks/inbound/roster/secret", headers=admin).json()["secret"]
    page = gw.get("/v1/users", params={"role": "student", "limit": 200}, headers=admin)
    students = [u["sourced_id"] for u in page.json()["items"] if u["status"] == "active"]
    assert len(students) >= 33, page.text
    payload = {"users": [{"sourcedId": sid, "status": "tobedeleted"} for sid in students]}
    body = json.dumps(payload).encode()
    path = f"/v1/webhooks/inbound/roster/{DEMO_DISTRICT}"
    msg_id = f"sis-{uuid.uuid4().hex}"

    refused = gw.post(path, content=body, headers=_signed(secret, body, msg_id))
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "https://pathwise.dev/problems/mass-change-refused"
    assert f"{len(students)} of {len(students)} active students" in refused.json()["detail"]
    # The receipt was not kept: the sender's retry is weighed again, not acknowledged.
    retry = gw.post(path, content=body, headers=_signed(secret, body, msg_id))
    assert retry.status_code == 409, retry.text
    dev_login(gw, "learner-01")  # still active: the student can log in
    after = gw.get("/v1/users", params={"role": "student", "limit": 200}, headers=admin)
    assert sorted(u["sourced_id"] for u in after.json()["items"] if u["status"] == "active") == (
        sorted(students)
    )
