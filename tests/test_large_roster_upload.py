"""A large roster upload through the real gateway to the real profiles service: a generated
OneRoster zip of more than 50 MB on the wire is streamed by the gateway (never held whole: its
peak memory is measured around the upload) and spooled to disk by profiles, and the dry-run job
reports every row. Over the upload limit the answer is 413 problem+json, and the other routes
keep the small limit."""

import csv
import http.client
import io
import json
import secrets
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login
from pathwise_profiles.oneroster_samples import manifest, zipped

pytestmark = pytest.mark.integration

MIN_WIRE_BYTES = 50 * 1024**2
# What the gateway may grow by while the upload passes: buffers and chunks in flight, nothing
# like the body (a whole-body read would add at least its 50 MB).
MAX_GATEWAY_GROWTH = 20 * 1024**2


def _memory(pid: int, field: str) -> int:
    """``VmHWM`` (peak resident set) or ``VmRSS`` of a process, in bytes (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for process {pid}")


def _write_roster(target: Path, min_bytes: int) -> int:
    """A zip with manifest.csv and a users.csv (delta: every row a new student) of random
    identifiers and names, stored uncompressed so the zip is as large on the wire as its
    content. Written a block of rows at a time; the number of rows."""
    rows = written = 0
    with (
        zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive,
        archive.open("users.csv", "w", force_zip64=True) as users,
    ):
        header = "sourcedId,username,givenName,familyName,role,orgSourcedIds,grades,email\n"
        users.write(header.encode())
        while written < min_bytes:
            block = io.StringIO()
            out = csv.writer(block, lineterminator="\n")
            for _ in range(1000):
                sourced_id = secrets.token_hex(16)
                given, family = secrets.token_hex(6), secrets.token_hex(8)
                out.writerow(
                    [sourced_id, f"u-{sourced_id}", given, family, "student",
                     "riverside-elementary", "03", f"{given}.{family}@example.org"]
                )  # fmt: skip
            data = block.getvalue().encode()
            users.write(data)
            written += len(data)
            rows += 1000
    with zipfile.ZipFile(target, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.csv", manifest(users="delta"))
    return rows


def _wait(
    gw: httpx.Client, admin: dict[str, str], job_id: str, seconds: float
) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        job: dict[str, object] = gw.get(f"/v1/roster/imports/{job_id}", headers=admin).json()
        if job["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def test_a_large_roster_streams_through_the_gateway(
    stack: Stack, gw: httpx.Client, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.zip"
    rows = _write_roster(roster, MIN_WIRE_BYTES)
    size = roster.stat().st_size
    assert size >= MIN_WIRE_BYTES
    admin = dev_login(gw, "admin-district")
    gateway_pid = stack.processes["gateway"].pid
    peak_before = _memory(gateway_pid, "VmHWM")

    started_at = time.monotonic()
    with roster.open("rb") as upload:
        started = gw.post(
            "/v1/roster/imports",
            files={"file": ("roster.zip", upload, "application/zip")},
            data={"dry_run": "true"},
            headers=admin,
            timeout=120.0,
        )
    uploaded_in = time.monotonic() - started_at
    peak_after = _memory(gateway_pid, "VmHWM")
    assert started.status_code == 202, started.text
    print(
        f"\nroster zip {size / 1024**2:.1f} MiB, {rows} users, accepted in {uploaded_in:.1f} s; "
        f"gateway peak RSS {peak_before / 1024**2:.1f} -> {peak_after / 1024**2:.1f} MiB "
        f"(+{(peak_after - peak_before) / 1024**2:.1f} MiB)"
    )
    assert peak_after - peak_before < MAX_GATEWAY_GROWTH

    job = _wait(gw, admin, str(started.json()["id"]), seconds=240)
    assert job["state"] == "succeeded", job
    assert job["dry_run"] is True
    # Progress as for any dry run: every row planned, none written.
    assert (job["rows_total"], job["rows_done"]) == (rows, 0)
    report = job["report"]
    assert isinstance(report, dict)
    assert report["diff"]["users"]["created"] == rows
    assert report["diff"]["users"]["updated"] == report["diff"]["users"]["deleted"] == 0


def test_the_upload_and_other_routes_keep_their_limits(stack: Stack, gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    # Declared past the upload limit (1 GiB by default): refused on the header, before a byte of
    # the body is sent (http.client sends the headers alone).
    port = stack.config.ports["gateway"]
    conn = http.client.HTTPConnection(stack.config.host, port, timeout=20)
    try:
        conn.putrequest("POST", "/v1/roster/imports")
        conn.putheader("Authorization", admin["Authorization"])
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(1024**3 + 1))
        conn.endheaders()
        declared = conn.getresponse()
        body = json.loads(declared.read())
    finally:
        conn.close()
    assert declared.status == 413, body
    assert declared.getheader("content-type") == "application/problem+json"
    assert body["type"].endswith("https://pathwise.dev/problems/body-too-large")
    # Every other route keeps 1 MiB, the roster import's folder request too.
    big = {"path": "x" * (1024**2 + 1)}
    for path in ("/v1/roster/imports/folder", "/v1/clients"):
        refused = gw.post(path, json=big, headers=admin)
        assert refused.status_code == 413, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


def test_a_keyed_upload_is_answered_by_profiles_through_the_gateway(gw: httpx.Client) -> None:
    """The gateway streams the upload without fingerprinting it; profiles honours the key on the
    zip itself: a retry (a new multipart boundary, the same zip) gets the first job, other files
    under the key are 422."""
    admin = dev_login(gw, "admin-district")
    files = {
        "manifest.csv": manifest(users="delta"),
        "users.csv": "sourcedId,username,givenName,familyName,role,orgSourcedIds,grades\n"
        f"key-{secrets.token_hex(4)},key.one,Kai,Ode,student,riverside-elementary,03\n",
    }
    keyed = {**admin, "Idempotency-Key": f"roster-{secrets.token_hex(8)}"}

    def send(content: dict[str, str]) -> httpx.Response:
        return gw.post(
            "/v1/roster/imports",
            files={"file": ("roster.zip", zipped(content), "application/zip")},
            data={"dry_run": "true"},
            headers=keyed,
        )

    first = send(files)
    assert first.status_code == 202, first.text
    retry = send(files)
    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"
    other = send({**files, "users.csv": files["users.csv"] + "key-2,key.two,Li,Ode,student,,03\n"})
    assert other.status_code == 422, other.text
    assert other.json()["type"].endswith("https://pathwise.dev/problems/idempotency-key-reused")
    assert _wait(gw, admin, str(first.json()["id"]), seconds=60)["state"] == "succeeded"
