"""The portfolio through the real gateway in front of the real services: learner-01 adds a
drawing (PNG) and a reflection on their current step, teacher-01 gives feedback, guardian-01 sees
only what was shared; downloads are attachments with the sniffed type; a refused type and an
oversized file are 4xx problems and leave no file behind."""

import struct
import zlib
from pathlib import Path

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")
URL = f"/v1/learners/{LEARNER}/portfolio"


def png(side: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x7f" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


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
