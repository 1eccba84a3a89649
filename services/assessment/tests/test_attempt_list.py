"""The attempt list: a page carries every attempt's items and responses, read in a constant number
of queries (it used to read each attempt's view one by one: three queries per attempt)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.db import Database

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
CHOICES = [{"id": "a", "text": "12"}, {"id": "b", "text": "24"}]


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """The SQL statements the service's engine runs inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def make_check(api: ServiceClient, code: str, items: int) -> tuple[str, list[str]]:
    ids = []
    for _ in range(items):
        body = {
            "stem": "4 × 6?",
            "skill_codes": [code],
            "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"},
        }
        made = await api.post("/v1/items", json=body, headers=api.as_(TEACHER))
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    check = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={"kind": "skill_check", "title": code, "skill_codes": [code], "item_ids": ids},
    )
    assert check.status_code == 201, check.text
    return check.json()["id"], ids


async def list_all(api: ServiceClient, learner: uuid.UUID, limit: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"learner_id": str(learner), "limit": str(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        page = await api.get("/v1/attempts", params=params, headers=api.as_(TEACHER))
        assert page.status_code == 200, page.text
        found += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


async def test_a_page_of_attempts_is_read_in_a_constant_number_of_queries(
    api: ServiceClient,
) -> None:
    learner = uuid.uuid4()
    first, first_items = await make_check(api, "3.OA.A.1", 2)
    second, second_items = await make_check(api, "3.OA.A.2", 3)
    started = []
    for n, (check, items) in enumerate([(first, first_items), (second, second_items)] * 3):
        attempt = await api.post(
            f"/v1/assessments/{check}/attempts",
            json={"learner_id": str(learner)},
            headers=api.as_(TEACHER),
        )
        assert attempt.status_code == 201, attempt.text
        # Some answered (one item, or all of them and finished), some untouched.
        for item in items[: n % 3]:
            put = await api.put(
                f"/v1/attempts/{attempt.json()['id']}/responses/{item}",
                json={"answer": {"choice": "b"}},
                headers=api.as_(TEACHER),
            )
            assert put.status_code == 200, put.text
        started.append(attempt.json()["id"])

    db: Database = api.app.state.db
    with counted(db) as small:
        one_page = await list_all(api, learner, limit=1)
    with counted(db) as large:
        whole = await list_all(api, learner, limit=6)
    # Six pages of one against one page of six: the same number of queries per page.
    assert len(small) == 6 * len(large), (len(small), len(large))

    assert [a["id"] for a in whole] == sorted(started)  # id order: creation order (UUIDv7)
    assert one_page == whole
    for listed in whole:
        alone = await api.get(f"/v1/attempts/{listed['id']}", headers=api.as_(TEACHER))
        assert listed == alone.json()
    answered = {a["id"]: len(a["responses"]) for a in whole}
    assert sorted(answered.values()) == [0, 0, 1, 1, 2, 2]
