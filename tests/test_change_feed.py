"""The change feed (``GET /v1/changes``) through the real gateway in front of the real services:
a district admin builds and changes roster records and a learner, an integration client with
``roster:read`` syncs them page by page, resumes from its cursor, sees the learner's deletion as
tombstones (her enrollment ended with her), and another district's cursor is a 400 problem."""

import uuid
from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import bearer, dev_login, gateway_token
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

RIVERSIDE = demo_id("school", "riverside-elementary")


def _roster_client(gw: httpx.Client, admin: dict[str, str]) -> dict[str, str]:
    created = gw.post(
        "/v1/clients",
        json={"name": f"warehouse {uuid.uuid4().hex[:6]}", "scopes": ["roster:read"]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    token = gw.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created.json()["client_id"],
            "client_secret": created.json()["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    return bearer(token.json()["access_token"])


def _sync(gw: httpx.Client, who: dict[str, str], cursor: str) -> tuple[list[dict[str, Any]], str]:
    """Every entry after ``cursor`` in pages of 2, as a sync job reads them."""
    entries: list[dict[str, Any]] = []
    while True:
        page = gw.get("/v1/changes", params={"cursor": cursor, "limit": 2}, headers=who)
        assert page.status_code == 200, page.text
        entries += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not page.json()["has_more"]:
            return entries, cursor


def _created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_sync_client_follows_roster_and_learner_changes(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    sis = _roster_client(gw, admin)
    start = gw.get("/v1/changes", params={"start": "now"}, headers=sis)
    assert start.status_code == 200, start.text
    assert start.json()["items"] == []
    cursor = start.json()["next_cursor"]

    tag = uuid.uuid4().hex[:8]
    klass = _created(
        gw.post("/v1/classes", json={"title": f"Feed {tag}", "school_id": str(RIVERSIDE)},
                headers=admin)
    )  # fmt: skip
    learner = _created(
        gw.post(
            "/v1/users",
            json={"username": f"feed-{tag}", "given_name": "Ada", "family_name": "Feed",
                  "roles": ["student"], "school_ids": [str(RIVERSIDE)], "grade": "03",
                  "sourced_id": f"sis-{tag}"},
            headers=admin,
        )
    )  # fmt: skip
    enrollment = _created(
        gw.post(f"/v1/classes/{klass['id']}/enrollments",
                json={"user_id": learner["id"], "role": "student"}, headers=admin)
    )  # fmt: skip
    patched = gw.patch(f"/v1/classes/{klass['id']}", json={"title": f"Feed {tag} B"}, headers=admin)
    assert patched.status_code == 200, patched.text

    mine = {klass["id"], learner["id"], enrollment["id"]}

    def ours(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Other work of the shared stack (a pathway's goal-progress push) may add entries too.
        return [e for e in entries if e["object_id"] in mine]

    everything, cursor = _sync(gw, sis, cursor)
    first = ours(everything)
    changes = [(e["object_type"], e["object_id"], e["operation"]) for e in first]
    # one entry per object per request, in the order the requests committed
    assert changes == [
        ("class", klass["id"], "upsert"),
        ("user", learner["id"], "upsert"),
        ("learner_profile", learner["id"], "upsert"),
        ("enrollment", enrollment["id"], "upsert"),
        ("class", klass["id"], "upsert"),
    ], changes
    seqs = [e["seq"] for e in first]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert first[-1]["object"]["title"] == f"Feed {tag} B"
    # every upsert shows the record as it is now: the class's first entry has the new title too
    assert first[0]["object"]["title"] == f"Feed {tag} B"
    assert first[1]["object"]["sourced_id"] == f"sis-{tag}"
    # the profile is a link the reader follows with its own rights
    assert first[2]["object"] is None
    assert first[2]["href"] == f"/v1/learners/{learner['id']}/profile"

    # The read of her records is on her audit trail, as the client's, without the header leaking.
    trace = f"feed-{uuid.uuid4().hex[:12]}"
    audited = gw.get("/v1/changes", params={"cursor": first[0]["cursor"], "limit": 1},
                     headers={**sis, "X-Request-ID": trace})  # fmt: skip
    assert audited.status_code == 200 and "pathwise-learners" not in audited.headers
    assert audited.json()["items"][0]["object_id"] == learner["id"]
    trail = gw.get(f"/v1/audit/learners/{learner['id']}", headers=admin)
    assert trail.status_code == 200, trail.text
    reads = [e for e in trail.json()["items"] if e["request_id"] == trace]
    assert [(e["action"], e["actor_kind"]) for e in reads] == [("read", "client")]

    # Nothing new: the same cursor back, no entries.
    again, same = _sync(gw, sis, cursor)
    assert ours(again) == []
    if not again:
        assert same == cursor

    # The learner is deleted: tombstones for her, her profile and her enrollment.
    assert gw.delete(f"/v1/users/{learner['id']}", headers=admin).status_code == 204
    after_delete, cursor = _sync(gw, sis, same)
    tombstones = ours(after_delete)
    assert {(e["object_type"], e["object_id"], e["operation"]) for e in tombstones} == {
        ("user", learner["id"], "delete"),
        ("learner_profile", learner["id"], "delete"),
        ("enrollment", enrollment["id"], "delete"),
    }
    assert all(e["tombstone"]["id"] == e["object_id"] and e["object"] is None for e in tombstones)
    ended = gw.get(f"/v1/enrollments/{enrollment['id']}", headers=admin)
    assert ended.json()["status"] == "tobedeleted"
    # resuming from an entry's own cursor replays exactly what followed it
    replay, _ = _sync(gw, sis, first[2]["cursor"])
    assert [e["seq"] for e in ours(replay)] == seqs[3:] + [e["seq"] for e in tombstones]
    assert [e["seq"] for e in replay] == sorted({e["seq"] for e in replay})


def test_a_cursor_of_another_district_and_a_tampered_one_are_problems(gw: httpx.Client) -> None:
    admin = dev_login(gw, "admin-district")
    ours = gw.get("/v1/changes", params={"limit": 1}, headers=admin).json()["next_cursor"]
    other = uuid.uuid4()
    elsewhere = gateway_token(
        Principal(subject="other-warehouse", kind="client", district_id=other,
                  scopes=frozenset({"roster:read"}))
    )  # fmt: skip
    theirs = gw.get("/v1/changes", headers=elsewhere)
    assert theirs.status_code == 200 and theirs.json()["items"] == []
    for cursor, who in ((ours, elsewhere), (theirs.json()["next_cursor"], admin)):
        refused = gw.get("/v1/changes", params={"cursor": cursor}, headers=who)
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/cursor-of-another-district")
        assert "another district" in refused.json()["detail"]
    tampered = gw.get("/v1/changes", params={"cursor": ours[:-3] + "zzz"}, headers=admin)
    assert tampered.status_code == 400, tampered.text
    assert tampered.json()["type"].endswith("/invalid-cursor")


def test_teachers_students_and_guardians_do_not_read_the_feed(gw: httpx.Client) -> None:
    for username in ("teacher-01", "learner-01", "guardian-01", "admin-riverside-elementary"):
        refused = gw.get("/v1/changes", headers=dev_login(gw, username))
        assert refused.status_code == 403, (username, refused.text)
