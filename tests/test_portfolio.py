"""The portfolio through the real gateway in front of the real services: learner-01 adds a
drawing (PNG) and a reflection on their current step, teacher-01 gives feedback, guardian-01 sees
only what was shared; downloads are attachments with the sniffed type; a refused type and an
oversized file are 4xx problems and leave no file behind."""

import hashlib
import os
import time
from pathlib import Path

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, png
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")
URL = f"/v1/learners/{LEARNER}/portfolio"


def stored_files(stack: Stack) -> set[Path]:
    root = Path(stack.config.env["PATHWAYS_STORAGE_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_portfolio_through_the_gateway(gw: httpx.Client, stack: Stack) -> None:
    student = dev_login(gw, "learner-01")
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-01")
    step = gw.get(f"/v1/learners/{LEARNER}/pathway", headers=student).json()["steps"][0]

    drawing = png()
    image = gw.post(
        URL,
        data={"kind": "image", "title": "My array", "step_id": step["id"],
              "skill_codes": [step["skill_code"]], "share_with_guardians": "true"},
        files={"file": ("array.png", drawing, "application/octet-stream")},
        headers={**student, "Idempotency-Key": "it-portfolio-image"},
    )  # fmt: skip
    assert image.status_code == 201, image.text
    text = gw.post(
        URL,
        data={
            "kind": "text",
            "title": "Private note",
            "body": "I was unsure today.",
            "step_id": step["id"],
        },
        headers=student,
    )
    assert text.status_code == 201, text.text

    noted = gw.post(
        f"{URL}/{text.json()['id']}/feedback", json={"body": "Ask me tomorrow!"}, headers=teacher
    )
    assert noted.status_code == 201, noted.text

    seen = {a["id"] for a in gw.get(URL, headers=guardian).json()["items"]}
    assert image.json()["id"] in seen and text.json()["id"] not in seen
    assert gw.get(f"{URL}/{text.json()['id']}", headers=guardian).status_code == 404
    # A guardian never writes to the portfolio.
    refused = gw.post(URL, data={"kind": "text", "title": "x", "body": "y"}, headers=guardian)
    assert (
        refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    )

    got = gw.get(image.json()["file"]["download"], headers=guardian)
    assert got.status_code == 200 and got.content == drawing
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert (
        got.headers["content-disposition"]
        == "attachment; filename=\"array.png\"; filename*=UTF-8''array.png"
    )
    assert "sandbox" in got.headers["content-security-policy"]

    before = stored_files(stack)
    fake = gw.post(
        URL,
        data={"kind": "image", "title": "fake"},
        files={"file": ("x.png", b"<html><script>alert(1)</script></html>", "image/png")},
        headers=student,
    )
    assert fake.status_code == 415 and fake.headers["content-type"] == "application/problem+json"
    big = gw.post(
        URL,
        data={"kind": "document", "title": "huge"},
        files={"file": ("x.pdf", b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024 + 1), "application/pdf")},
        headers=student,
    )
    assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"
    assert stored_files(stack) == before


def _rss(pid: int) -> int:
    """A process's resident set (``VmRSS``), in bytes (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


# A document near the pathways limit (20 MiB): a gateway that read it whole before answering
# would hold all of it while the caller is still reading the first chunk.
LARGE = 18 * 1024 * 1024
# What the gateway may grow by meanwhile: chunks in flight and socket buffers, not the file.
MAX_GATEWAY_GROWTH = 6 * 1024 * 1024


def test_a_large_file_downloads_intact_and_streams_through_the_gateway(
    gw: httpx.Client, stack: Stack
) -> None:
    student = dev_login(gw, "learner-01")
    content = b"%PDF-1.7\n" + os.urandom(LARGE)
    made = gw.post(
        URL,
        data={"kind": "document", "title": "My long report"},
        files={"file": ("report.pdf", content, "application/pdf")},
        headers=student,
        timeout=120.0,
    )
    assert made.status_code == 201, made.text
    gateway_pid = stack.processes["gateway"].pid
    before = _rss(gateway_pid)
    digest = hashlib.sha256()
    with gw.stream("GET", made.json()["file"]["download"], headers=student, timeout=120.0) as got:
        assert got.status_code == 200
        assert got.headers["content-length"] == str(len(content))
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith('attachment; filename="report.pdf"')
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]
        chunks = got.iter_raw(64 * 1024)
        digest.update(next(chunks))
        # The caller pauses after its first chunk: the gateway waits for it (back-pressure)
        # rather than reading the rest of the file from pathways into memory.
        time.sleep(1.0)
        held = _rss(gateway_pid) - before
        for chunk in chunks:
            digest.update(chunk)
    assert digest.digest() == hashlib.sha256(content).digest()
    assert held < MAX_GATEWAY_GROWTH, f"the gateway grew by {held} bytes during the download"
