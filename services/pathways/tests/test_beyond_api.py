"""Learning beyond the classroom through pathways' API (conftest's ``live``: the real profiles and
assessment apps in process): an off-site activity with its partner, place, dates and supervisor,
the supervisor's contact for staff only, and a choice refused until a guardian consents."""

from datetime import date
from typing import Any

from sqlalchemy import select

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_pathways.domain.beyond import needs_consent
from pathwise_pathways.models import outbox
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id

DISTRICT = demo_id("district", "riverside")
LEARNER = demo_id("learner", "learner-07")  # teacher-01's class


def learner() -> Principal:
    return make_principal(DISTRICT, roles=["student"], user_id=LEARNER)


def teacher() -> Principal:
    return make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01"))


def guardian() -> Principal:
    return make_principal(DISTRICT, roles=["guardian"], user_id=demo_id("user", "guardian-07"))


def trip(code: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Fractions at the farmers' market",
        "format": "hands_on",
        "difficulty": 2,
        "minutes": 120,
        "skill_codes": [code],
        "kind": "field_trip",
        "partner": "Riverside Farmers' Market",
        "place": "Market Square, Riverside",
        "starts_on": "2027-03-01",
        "ends_on": "2027-03-01",
        "supervision": {
            "name": "Ms. Ortega",
            "phone": "+1 555 0100",
            "email": "ortega@example.org",
        },
        **extra,
    }


async def consent_requests(live: ServiceClient) -> list[dict[str, Any]]:
    """The ``consent.requested`` events in pathways' outbox (their ``data``)."""
    db = Database(live.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope)
                .where(outbox.c.event_type == "consent.requested")
                .order_by(outbox.c.id)
            )
            return [r[0]["data"] for r in rows]
    finally:
        await db.dispose()


def test_consent_policy() -> None:
    assert needs_consent("field_trip", False, "required")
    assert not needs_consent("field_trip", False, "optional")
    assert needs_consent("internship", True, "optional")
    assert not needs_consent("classroom", True, "required")


async def test_bad_dates_urls_and_lengths_are_422(live: ServiceClient) -> None:
    staff = live.as_(teacher())
    backwards = await live.post(
        "/v1/activities", json=trip("3.NF.A.1", ends_on="2027-02-01"), headers=staff
    )
    assert backwards.status_code == 422
    assert backwards.json()["type"].endswith("/invalid-dates")
    for bad in (
        {"url": "javascript:alert(1)"},
        {"partner": "x" * 201},
        {"supervision": {"name": "A", "email": "not an email"}},
        {"kind": "moon_base"},
    ):
        answer = await live.post("/v1/activities", json=trip("3.NF.A.1", **bad), headers=staff)
        assert answer.status_code == 422, bad


async def test_a_field_trip_needs_a_guardians_consent_before_it_is_chosen(
    live: ServiceClient,
) -> None:
    staff = live.as_(teacher())
    planned = await live.post(f"/v1/learners/{LEARNER}/pathway", json={}, headers=staff)
    assert planned.status_code == 201, planned.text
    step = next(s for s in planned.json()["steps"] if s["status"] == "ready")
    made = await live.post("/v1/activities", json=trip(step["skill_code"]), headers=staff)
    assert made.status_code == 201, made.text
    activity = made.json()
    assert activity["supervision"]["phone"] == "+1 555 0100"
    assert activity["starts_on"] == str(date(2027, 3, 1))

    seen = await live.get(f"/v1/activities/{activity['id']}", headers=live.as_(learner()))
    assert seen.json()["partner"] == "Riverside Farmers' Market"
    assert seen.json()["supervision"] == {"name": "Ms. Ortega", "phone": None, "email": None}

    # A board holds the best five of the skill; a plan toward this skill alone ranks again.
    board = [e["activity_id"] for e in step["board"]]
    if activity["id"] not in board:
        replanned = await live.post(
            f"/v1/learners/{LEARNER}/pathway",
            json={"goals": [{"skill_code": step["skill_code"]}]},
            headers=staff,
        )
        step = next(s for s in replanned.json()["steps"] if s["skill_code"] == step["skill_code"])
        board = [e["activity_id"] for e in step["board"]]
    assert activity["id"] in board, "the trip must be on the step's board for this test"

    choose = f"/v1/learners/{LEARNER}/pathway/steps/{step['id']}/choice"
    refused = await live.post(
        choose, json={"activity_id": activity["id"]}, headers=live.as_(learner())
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/guardian-consent-required")
    assert refused.json()["activity_id"] == activity["id"]
    # The refusal asks the guardians, once: a retried choice asks nobody again.
    again = await live.post(
        choose, json={"activity_id": activity["id"]}, headers=live.as_(learner())
    )
    assert again.status_code == 409, again.text
    assert await consent_requests(live) == [
        {"learner_id": str(LEARNER), "activity_id": activity["id"]}
    ]

    consents = f"/v1/learners/{LEARNER}/consents"
    by_learner = await live.post(
        consents, json={"activity_id": activity["id"]}, headers=live.as_(learner())
    )
    assert by_learner.status_code == 403
    given = await live.post(
        consents, json={"activity_id": activity["id"]}, headers=live.as_(guardian())
    )
    assert given.status_code == 201, given.text
    again = await live.post(
        consents, json={"activity_id": activity["id"]}, headers=live.as_(guardian())
    )
    assert again.status_code == 200
    assert again.json()["id"] == given.json()["id"]

    chosen = await live.post(
        choose, json={"activity_id": activity["id"]}, headers=live.as_(learner())
    )
    assert chosen.status_code == 200, chosen.text
    done = next(s for s in chosen.json()["steps"] if s["id"] == step["id"])
    assert done["chosen_activity_id"] == activity["id"]

    # Completed with portfolio evidence: an artifact on the step.
    evidence = await live.post(
        f"/v1/learners/{LEARNER}/portfolio",
        data={
            "kind": "text",
            "title": "What I priced",
            "body": "3/4 lb of apples",
            "step_id": step["id"],
        },
        headers=live.as_(learner()),
    )
    assert evidence.status_code == 201, evidence.text
    assert evidence.json()["step_id"] == step["id"]
