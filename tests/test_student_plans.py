"""A plan the learner drafts, through the real gateway in front of the real services: learner-01
proposes, teacher-01 returns it with a comment, the learner revises, the teacher approves, and
the pathway is active with the learner as author in its history. The learner picks the demo
field trip (off site, needing a guardian's consent): refused until guardian-01 consents, then
chosen on its step."""

import httpx
import pytest

from pathwise_devstack.testing import dev_login
from pathwise_pathways.seed import FIELD_TRIP_ID
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

LEARNER = demo_id("learner", "learner-01")


def test_a_learners_plan_returned_revised_and_approved(gw: httpx.Client) -> None:
    learner = dev_login(gw, "learner-01")
    teacher = dev_login(gw, "teacher-01")
    guardian = dev_login(gw, "guardian-01")
    base = f"/v1/learners/{LEARNER}/pathway/proposals"

    refused = gw.post(base, json={"goals": [{"skill_code": "3.NF.A.1"}]}, headers=guardian)
    assert refused.status_code == 403, refused.text

    made = gw.post(
        base,
        json={"goals": [{"skill_code": "3.NF.A.3"}], "note": "I want to finish fractions"},
        headers=learner,
    )
    assert made.status_code == 201, made.text
    pid = made.json()["id"]

    returned = gw.post(
        f"{base}/{pid}/return",
        json={"comment": "Put 3.NF.A.1 first, then we talk."},
        headers={**teacher, "If-Match": made.headers["ETag"]},
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"

    seen = gw.get(f"{base}/{pid}", headers=learner)
    assert seen.json()["revisions"][-1]["comment"] == "Put 3.NF.A.1 first, then we talk."

    # Learners and guardians see where the trip goes, not the supervisor's phone or email.
    trip = gw.get(f"/v1/activities/{FIELD_TRIP_ID}", headers=guardian).json()
    assert trip["kind"] == "field_trip"
    assert trip["place"] and trip["partner"]
    assert trip["supervision"]["phone"] is None and trip["supervision"]["email"] is None
    assert gw.get(f"/v1/activities/{FIELD_TRIP_ID}", headers=teacher).json()["supervision"]["phone"]

    revised = gw.patch(
        f"{base}/{pid}",
        json={
            "order": ["3.NF.A.1"],
            "choices": [{"skill_code": "3.NF.A.1", "activity_id": str(FIELD_TRIP_ID)}],
        },
        headers={**learner, "If-Match": seen.headers["ETag"]},
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["status"] == "proposed"

    own = gw.post(
        f"{base}/{pid}/approve", json={}, headers={**learner, "If-Match": revised.headers["ETag"]}
    )
    assert own.status_code == 403
    stale = gw.post(
        f"{base}/{pid}/approve", json={}, headers={**teacher, "If-Match": made.headers["ETag"]}
    )
    assert stale.status_code == 412
    # The pick needs guardian-01's consent: the approval is refused, and nothing changed.
    no_consent = gw.post(
        f"{base}/{pid}/approve", json={}, headers={**teacher, "If-Match": revised.headers["ETag"]}
    )
    assert no_consent.status_code == 409, no_consent.text
    assert no_consent.json()["type"].endswith("/guardian-consent-required")
    assert no_consent.json()["activity_id"] == str(FIELD_TRIP_ID)
    by_learner = gw.post(
        f"/v1/learners/{LEARNER}/consents",
        json={"activity_id": str(FIELD_TRIP_ID)},
        headers=learner,
    )
    assert by_learner.status_code == 403
    consent = gw.post(
        f"/v1/learners/{LEARNER}/consents",
        json={"activity_id": str(FIELD_TRIP_ID), "note": "Yes, with a packed lunch."},
        headers=guardian,
    )
    assert consent.status_code == 201, consent.text

    approved = gw.post(
        f"{base}/{pid}/approve",
        json={"comment": "Agreed."},
        headers={**teacher, "If-Match": revised.headers["ETag"]},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["pathway"]["status"] == "active"
    step = next(s for s in approved.json()["pathway"]["steps"] if s["skill_code"] == "3.NF.A.1")
    assert step["chosen_activity_id"] == str(FIELD_TRIP_ID)

    pathway = gw.get(f"/v1/learners/{LEARNER}/pathway", headers=learner)
    assert pathway.json()["status"] == "active"
    history = gw.get(f"/v1/learners/{LEARNER}/pathway/versions", headers=teacher).json()["items"]
    assert history[0]["change"] == "approved"
    assert history[1]["change"] == "proposed"
    assert history[1]["actor"] == str(LEARNER)
    assert history[1]["actor_role"] == "student"
