"""Two requests for the same credential at the same instant (a double tap, two tabs, a client
retrying without its key): the database holds one unrevoked credential per learner and skill,
and per learner and goal (partial unique indexes), so exactly one is issued and the others get
the same 409 ``credential-exists`` a later request gets, with nothing of theirs written (no row,
no status index, no ``credential.issued``). Runs on SQLite and, with
``PATHWISE_TEST_DATABASE=postgresql``, on PostgreSQL, where the requests really overlap."""

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from pathwise_assessment.models import Credential
from pathwise_devstack.profiles_fixtures import learner
from pathwise_devstack.testing import ServiceClient
from pathwise_shared.db import Database
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

sys.path.insert(0, str(Path(__file__).parent))
from test_credentials_api import (  # type: ignore[import-not-found]
    TEACHER,
    events_of,
    make_goal,
    master,
    student,
)

N = 6


async def _ask_all(api: ServiceClient, learner_id: uuid.UUID, body: dict[str, str]) -> list[Any]:
    async def one(k: int) -> Any:
        return await api.post(
            f"/v1/learners/{learner_id}/credentials",
            headers=api.as_(student(learner_id)),
            json=body,
        )

    return list(await asyncio.gather(*(one(k) for k in range(N))))


async def _one_issued(api: ServiceClient, learner_id: uuid.UUID, body: dict[str, str]) -> str:
    """Ask N times at once: exactly one 201, the others 409 credential-exists naming it."""
    answers = await _ask_all(api, learner_id, body)
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * (N - 1), [(r.status_code, r.text[:200]) for r in answers]
    issued = next(r.json() for r in answers if r.status_code == 201)
    for refused in (r for r in answers if r.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"].endswith("/credential-exists"), refused.text
        assert refused.json()["credential_id"] == issued["id"]
    return str(issued["id"])


async def _held(api: ServiceClient, learner_id: uuid.UUID) -> list[dict[str, Any]]:
    listed = await api.get(f"/v1/learners/{learner_id}/credentials", headers=api.as_(TEACHER))
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def _issued_events(api: ServiceClient, learner_id: uuid.UUID) -> list[dict[str, Any]]:
    return [e for e in await events_of(api, "credential.issued") if e["learner_id"] == str(learner_id)]  # fmt: skip


async def _revoke(api: ServiceClient, learner_id: uuid.UUID, credential_id: str) -> None:
    revoked = await api.post(
        f"/v1/learners/{learner_id}/credentials/{credential_id}/revoke",
        headers=api.as_(TEACHER),
        json={"reason": "issued in error"},
    )
    assert revoked.status_code == 200, revoked.text


async def test_concurrent_issues_for_one_skill_make_one_credential(api: ServiceClient) -> None:
    code, learner_id = "7.RP.A.1", uuid.uuid4()
    await master(api, code, learner_id)
    first = await _one_issued(api, learner_id, {"skill_code": code})
    assert [c["id"] for c in await _held(api, learner_id)] == [first]
    assert [e["credential_id"] for e in await _issued_events(api, learner_id)] == [first]

    # Revoked, it no longer blocks: asked again at once, one new credential again.
    await _revoke(api, learner_id, first)
    second = await _one_issued(api, learner_id, {"skill_code": code})
    held = {c["id"]: c for c in await _held(api, learner_id)}
    assert set(held) == {first, second}
    assert held[first]["revoked_at"] is not None and held[second]["revoked_at"] is None
    assert [e["credential_id"] for e in await _issued_events(api, learner_id)] == [first, second]
    # Each has its own status index (the losers' draws were rolled back with them).
    indexes = {c["credential"]["credentialStatus"]["statusListIndex"] for c in held.values()}
    assert len(indexes) == 2


async def test_concurrent_issues_for_one_goal_make_one_credential(
    api: ServiceClient, profiles: ServiceClient
) -> None:
    learner_id, codes = learner(11), ["7.RP.A.2"]
    goal_id = await make_goal(profiles, learner_id, codes)
    await master(api, codes[0], learner_id)
    first = await _one_issued(api, learner_id, {"goal_id": goal_id})
    assert [c["id"] for c in await _held(api, learner_id)] == [first]
    assert [e["credential_id"] for e in await _issued_events(api, learner_id)] == [first]
    await _revoke(api, learner_id, first)
    second = await _one_issued(api, learner_id, {"goal_id": goal_id})
    assert {c["id"] for c in await _held(api, learner_id)} == {first, second}
    # The skill's own credential is another achievement: the goal's does not block it.
    skill = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers=api.as_(student(learner_id)),
        json={"skill_code": codes[0]},
    )
    assert skill.status_code == 201, skill.text


async def test_one_key_sent_at_once_is_one_credential_replayed(api: ServiceClient) -> None:
    code, learner_id = "7.RP.A.3", uuid.uuid4()
    await master(api, code, learner_id)
    headers = {**api.as_(student(learner_id)), "Idempotency-Key": f"race-{learner_id}"}
    answers = await asyncio.gather(
        *(
            api.post(
                f"/v1/learners/{learner_id}/credentials",
                headers=headers,
                json={"skill_code": code},
            )
            for _ in range(N)
        )
    )
    assert sorted(r.status_code for r in answers) == [200] * (N - 1) + [201], [
        (r.status_code, r.text[:200]) for r in answers
    ]
    assert len({r.json()["id"] for r in answers}) == 1
    assert len(await _issued_events(api, learner_id)) == 1


@pytest.mark.parametrize("achievement", ["skill", "goal"])
async def test_the_database_refuses_a_second_unrevoked_credential(
    api: ServiceClient, achievement: str
) -> None:
    """The index itself, past the service's check: a second unrevoked row is refused, a row
    beside a revoked one is not."""
    district, learner_id = uuid.uuid4(), uuid.uuid4()
    what: dict[str, Any] = (
        {"skill_code": "7.RP.A.1"} if achievement == "skill" else {"goal_id": uuid.uuid4()}
    )

    def row(index: int) -> Credential:
        return Credential(
            id=new_id(), district_id=district, learner_id=learner_id, status_index=index,
            kid="k", jwt="j", issued_at=utcnow(), **what,
        )  # fmt: skip

    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session, session.begin():
            held = row(1)
            session.add(held)
        with pytest.raises(IntegrityError):
            async with db.session() as session, session.begin():
                session.add(row(2))
        async with db.session() as session, session.begin():
            stored = await session.get(Credential, held.id)
            assert stored is not None
            stored.revoked_at = utcnow()
        async with db.session() as session, session.begin():
            session.add(row(3))
    finally:
        await db.dispose()
