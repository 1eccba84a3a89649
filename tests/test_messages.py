"""Messages about a learner through the real gateway in front of the real services
(docs/profiles.md, "Messages"): teacher-01 and guardian-01 write about learner-01 with read
receipts, unread counts and an attachment served as a download; someone not related to the
learner is refused as a participant (nothing written) and cannot read; a school administrator
who is not a participant does not see the thread; the district administrator reads it
(moderation, audited) and writes nothing; the learner takes part only when the district allows.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, png, start_stack
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")  # grade 3 math (teacher-01), guardian-01's child
URL = f"/v1/learners/{LEARNER}/threads"
TEACHER = demo_id("user", "teacher-01")
GUARDIAN = demo_id("user", "guardian-01")
OTHER_GUARDIAN = demo_id("user", "guardian-02")  # learner-02's guardian
OTHER_TEACHER = demo_id("user", "teacher-02")  # grade 4: not learner-01's teacher
SCHOOL_ADMIN = demo_id("user", "admin-riverside-elementary")


def stored_files(stack: Stack) -> set[Path]:
    root = Path(stack.config.env["PROFILES_STORAGE_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _threads(gw: httpx.Client, headers: dict[str, str]) -> list[dict[str, object]]:
    answer = gw.get(URL, headers=headers, params={"limit": 200})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_teacher_and_guardian_write_about_the_learner(gw: httpx.Client, stack: Stack) -> None:
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-01")
    other_guardian = dev_login(gw, "guardian-02")
    school_admin = dev_login(gw, "admin-riverside-elementary")
    district_admin = dev_login(gw, "admin-district")
    learner = dev_login(gw, "learner-01")
    before = len(_threads(gw, district_admin))

    # Someone not related to the learner refuses the whole thread, named in the problem.
    for stranger in (OTHER_GUARDIAN, OTHER_TEACHER, uuid.uuid4(), LEARNER):
        refused = gw.post(
            URL,
            json={"subject": "Homework", "participant_ids": [str(GUARDIAN), str(stranger)],
                  "body": "Hello"},
            headers=teacher,
        )  # fmt: skip
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert problem["type"].endswith("/participant-not-related")
        assert problem["refused"] == [str(stranger)]
    assert len(_threads(gw, district_admin)) == before  # nothing half-written

    made = gw.post(
        URL,
        json={"subject": "Fractions at home", "participant_ids": [str(GUARDIAN)],
              "body": "Ana worked hard on fractions this week."},
        headers=teacher,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    thread = made.json()
    base = f"{URL}/{thread['id']}"
    roles = {p["user_id"]: (p["role"], p["read_seq"]) for p in thread["participants"]}
    assert roles == {str(TEACHER): ("teacher", 1), str(GUARDIAN): ("guardian", 0)}
    assert thread["message_count"] == 1 and thread["unread"] == 0

    # The guardian has one unread message; reading moves their receipt, which the teacher sees.
    mine = {t["id"]: t for t in _threads(gw, guardian)}
    assert mine[thread["id"]]["unread"] == 1
    read = gw.post(f"{base}/read", headers=guardian)
    assert read.status_code == 200, read.text
    assert read.json()["read_seq"] == 1 and read.json()["unread"] == 0
    seen = gw.get(base, headers=teacher).json()
    assert {p["user_id"]: p["read_seq"] for p in seen["participants"]}[str(GUARDIAN)] == 1
    assert {t["id"]: t for t in _threads(gw, guardian)}[thread["id"]]["unread"] == 0

    # The guardian answers with a picture: stored, served as a download of the sniffed type.
    picture = png()
    posted = gw.post(
        f"{base}/messages",
        data={"body": "Thank you! Here is her drawing."},
        files={"file": ("drawing <1>.png", picture, "text/html")},
        headers=guardian,
    )
    assert posted.status_code == 201, posted.text
    message = posted.json()
    assert message["seq"] == 2 and len(message["attachments"]) == 1
    attachment = message["attachments"][0]
    assert attachment["media_type"] == "image/png" and attachment["size_bytes"] == len(picture)
    got = gw.get(attachment["download"], headers=teacher)
    assert got.status_code == 200, got.text
    assert got.content == picture
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert {t["id"]: t for t in _threads(gw, teacher)}[thread["id"]]["unread"] == 1
    assert {t["id"]: t for t in _threads(gw, guardian)}[thread["id"]]["unread"] == 0

    # A refused file leaves no file and no message behind.
    files_before = stored_files(stack)
    assert len(files_before) >= 1
    bad = gw.post(
        f"{base}/messages",
        data={"body": "and this"},
        files={"file": ("x.png", b"<html><script>alert(1)</script></html>", "image/png")},
        headers=guardian,
    )
    assert bad.status_code == 415, bad.text
    assert bad.json()["type"].endswith("/unsupported-file-type")
    empty = gw.post(f"{base}/messages", data={"body": "   "}, headers=guardian)
    assert empty.status_code == 422, empty.text
    assert stored_files(stack) == files_before
    assert gw.get(base, headers=teacher).json()["message_count"] == 2

    # Not related to the learner: refused at the gateway, whatever the thread.
    h = other_guardian
    for answer in (
        gw.get(URL, headers=h),
        gw.get(base, headers=h),
        gw.get(attachment["download"], headers=h),
        gw.post(f"{base}/messages", data={"body": "hi"}, headers=h),
        gw.post(f"{base}/read", headers=h),
    ):
        assert answer.status_code == 403, answer.text

    # Related but not a participant: the school administrator does not see the thread.
    assert thread["id"] not in {t["id"] for t in _threads(gw, school_admin)}
    assert gw.get(base, headers=school_admin).status_code == 404
    assert gw.get(attachment["download"], headers=school_admin).status_code == 404
    assert gw.post(f"{base}/read", headers=school_admin).status_code == 404

    # The learner, while the district does not allow learners in threads: nothing.
    assert thread["id"] not in {t["id"] for t in _threads(gw, learner)}
    assert gw.get(base, headers=learner).status_code == 404
    own = gw.post(
        URL, json={"subject": "Me", "participant_ids": [str(TEACHER)], "body": "Hi"},
        headers=learner,
    )  # fmt: skip
    assert own.status_code == 403 and own.json()["type"].endswith("/learner-threads-off")

    # The district administrator moderates: reads everything, writes nothing.
    since = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    assert thread["id"] in {t["id"] for t in _threads(gw, district_admin)}
    moderated = gw.get(base, headers=district_admin)
    assert moderated.status_code == 200, moderated.text
    assert moderated.json()["viewer"] == "moderator"
    assert [m["seq"] for m in moderated.json()["messages"]] == [1, 2]
    assert gw.get(attachment["download"], headers=district_admin).content == picture
    assert (
        gw.post(f"{base}/messages", data={"body": "x"}, headers=district_admin).status_code == 403
    )
    assert gw.post(f"{base}/read", headers=district_admin).status_code == 403
    assert (
        gw.post(URL, json={"subject": "s", "participant_ids": [str(TEACHER)], "body": "b"},
                headers=district_admin).status_code
        == 403
    )  # fmt: skip
    audit = gw.get(
        "/v1/audit",
        params={"learner_id": str(LEARNER), "since": since, "operation": "get_thread"},
        headers=district_admin,
    )
    assert audit.status_code == 200, audit.text
    summaries = [
        e["summary"] for e in audit.json()["items"] if e["actor_roles"] == ["district_admin"]
    ]
    assert any("read a message thread" in s for s in summaries), audit.json()


@pytest.fixture(scope="module")
def learners_allowed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    env = {"PROFILES_LEARNER_IN_THREADS": "true"}
    with (
        start_stack(Path(tmp_path_factory.mktemp("threads")), env=env) as stack,
        httpx.Client(base_url=stack.config.url("gateway"), timeout=30.0) as client,
    ):
        yield client


def test_the_learner_takes_part_when_the_district_allows(learners_allowed: httpx.Client) -> None:
    gw = learners_allowed
    teacher = dev_login(gw, "teacher-01")
    learner = dev_login(gw, "learner-01")
    other = dev_login(gw, "learner-02")
    made = gw.post(
        URL,
        json={"subject": "Your project", "participant_ids": [str(LEARNER), str(GUARDIAN)],
              "body": "Shall we look at your project together?"},
        headers=teacher,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    thread = made.json()
    assert {p["role"] for p in thread["participants"]} == {"teacher", "student", "guardian"}
    base = f"{URL}/{thread['id']}"
    assert {t["id"]: t["unread"] for t in _threads(gw, learner)}[thread["id"]] == 1
    answer = gw.post(f"{base}/messages", data={"body": "Yes please!"}, headers=learner)
    assert answer.status_code == 201, answer.text
    assert {t["id"]: t["unread"] for t in _threads(gw, learner)}[thread["id"]] == 0
    assert {t["id"]: t["unread"] for t in _threads(gw, teacher)}[thread["id"]] == 1
    # Another learner is still not a participant, and cannot read.
    assert gw.get(base, headers=other).status_code == 403
    refused = gw.post(
        URL,
        json={"subject": "x", "participant_ids": [str(demo_id("learner", "learner-02"))],
              "body": "x"},
        headers=teacher,
    )  # fmt: skip
    assert refused.status_code == 422, refused.text
