"""Student voice surveys against the real profiles app: create (422 naming bad fields), send to a
class or named learners, answer once with and without consent (the profile, its history and
ETag), who may answer and read, results and ``survey.answered``. Grade 5 (teacher-03):
learners 24-26 answer here; nothing else here answers their surveys or edits their profiles."""

import uuid
from typing import Any

from sqlalchemy import select

from pathwise_devstack.profiles_fixtures import as_learner, as_user, learner
from pathwise_devstack.testing import ServiceClient
from pathwise_profiles.models import outbox
from pathwise_shared.demo import demo_id

TEACHER = as_user("teacher-03", "teacher")
OTHER_TEACHER = as_user("teacher-01", "teacher")
CLASS = demo_id("class", "grade5-math")
SURVEY = {
    "title": "How I like to learn",
    "questions": [
        {"kind": "multiple_choice", "prompt": "What are you into?",
         "options": ["space", "robots", "music"], "maps_to": "interests"},
        {"kind": "multiple_choice", "prompt": "How do you like to learn?",
         "options": ["video", "text", "hands_on"], "maps_to": "preferred_formats"},
        {"kind": "single_choice", "prompt": "Pace?", "options": ["slower", "steady", "faster"],
         "maps_to": "pace"},
        {"kind": "scale", "prompt": "How much do you like maths?"},
        {"kind": "short_text", "prompt": "Anything else?"},
    ],
}  # fmt: skip


def answers(apply: bool) -> dict[str, Any]:
    return {
        "answers": [
            {"question_id": "q1", "value": ["space", "robots"], "apply_to_profile": apply},
            {"question_id": "q2", "value": ["hands_on"], "apply_to_profile": apply},
            {"question_id": "q3", "value": "faster", "apply_to_profile": apply},
            {"question_id": "q4", "value": 4},
            {"question_id": "q5", "value": "I like building things"},
        ]
    }


async def events(client: ServiceClient, type_: str) -> list[dict[str, Any]]:
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(outbox.c.envelope).where(outbox.c.event_type == type_).order_by(outbox.c.id)
        )
        return [envelope["data"] for (envelope,) in rows]


async def profile(client: ServiceClient, n: int) -> dict[str, Any]:
    got = await client.get(f"/v1/learners/{learner(n)}/profile", headers=client.as_(TEACHER))
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


async def new_survey(client: ServiceClient) -> str:
    made = await client.post("/v1/surveys", json=SURVEY, headers=client.as_(TEACHER))
    assert made.status_code == 201, made.text
    assert [q["id"] for q in made.json()["questions"]] == ["q1", "q2", "q3", "q4", "q5"]
    return str(made.json()["id"])


async def test_bad_surveys_are_422_naming_the_field(client: ServiceClient) -> None:
    bad = {"title": "x", "questions": [
        {"kind": "single_choice", "prompt": "?"},
        {"kind": "multiple_choice", "prompt": "?", "options": ["video", "podcast"],
         "maps_to": "preferred_formats"},
        {"kind": "scale", "prompt": "?", "maps_to": "pace"},
    ]}  # fmt: skip
    refused = await client.post("/v1/surveys", json=bad, headers=client.as_(TEACHER))
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/survey-invalid")
    assert [e["field"] for e in refused.json()["errors"]] == [
        "body.questions.0.options",
        "body.questions.1.options",
        "body.questions.2.maps_to",
    ]
    # Learners and guardians do not write surveys.
    for who in (as_learner(24), as_user("guardian-24", "guardian")):
        assert (
            await client.post("/v1/surveys", json=SURVEY, headers=client.as_(who))
        ).status_code == 403


async def test_send_answer_with_and_without_consent_and_results(client: ServiceClient) -> None:
    sid = await new_survey(client)
    # Another teacher neither sees nor sends it; a class that is not theirs is refused.
    assert (
        await client.get(f"/v1/surveys/{sid}", headers=client.as_(OTHER_TEACHER))
    ).status_code == 404
    other_class = await client.post(
        f"/v1/surveys/{sid}/send", json={"class_id": str(demo_id("class", "grade3-math"))},
        headers=client.as_(TEACHER),
    )  # fmt: skip
    assert other_class.status_code == 403, other_class.text
    sent = await client.post(
        f"/v1/surveys/{sid}/send", json={"class_id": str(CLASS)}, headers=client.as_(TEACHER)
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent"] == 10 and sent.json()["already_sent"] == 0
    again = await client.post(
        f"/v1/surveys/{sid}/send",
        json={"learner_ids": [str(learner(24))]},
        headers=client.as_(TEACHER),
    )
    assert again.json() == {"survey_id": sid, "sent": 0, "already_sent": 1}

    # learner-24 sees it open and answers with consent: the profile changes through the edit path.
    open_ = await client.get(
        f"/v1/learners/{learner(24)}/surveys", headers=client.as_(as_learner(24))
    )
    assert sid in [s["survey"]["id"] for s in open_.json()["items"]]
    before = await profile(client, 24)
    done = await client.post(
        f"/v1/learners/{learner(24)}/surveys/{sid}/answers",
        json=answers(True),
        headers=client.as_(as_learner(24)),
    )
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "answered"
    after = await profile(client, 24)
    kept = [i for i in before["interests"] if i not in {"space", "robots", "music"}]
    assert after["interests"] == [*kept, "space", "robots"]
    assert after["preferred_formats"] == [
        f for f in before["preferred_formats"] if f not in {"video", "text", "hands_on"}
    ] + ["hands_on"]
    assert after["pace"] == "faster"
    assert after["version"] == before["version"] + 1 and after["etag"] != before["etag"]
    assert set(done.json()["applied_fields"]) <= {"interests", "preferred_formats", "pace"}
    assert "interests" in done.json()["applied_fields"]
    history = await client.get(f"/v1/learners/{learner(24)}/history", headers=client.as_(TEACHER))
    latest = history.json()["items"][0]
    assert latest["part"] == "survey" and latest["target_id"] == sid
    assert latest["actor"] == str(learner(24))
    # Answered once: a second answer is 409 and changes nothing.
    twice = await client.post(
        f"/v1/learners/{learner(24)}/surveys/{sid}/answers",
        json=answers(False),
        headers=client.as_(as_learner(24)),
    )
    assert twice.status_code == 409 and twice.json()["type"].endswith("/survey-already-answered")

    # learner-25 answers without consent: stored, the profile untouched.
    before25 = await profile(client, 25)
    plain = await client.post(
        f"/v1/learners/{learner(25)}/surveys/{sid}/answers",
        json=answers(False),
        headers=client.as_(as_learner(25)),
    )
    assert plain.status_code == 201 and plain.json()["applied_fields"] == []
    assert await profile(client, 25) == before25

    # Nobody answers for someone else; guardians and teachers do not answer.
    for who in (as_learner(25), as_user("guardian-26", "guardian"), TEACHER):
        refused = await client.post(
            f"/v1/learners/{learner(26)}/surveys/{sid}/answers",
            json=answers(False),
            headers=client.as_(who),
        )
        assert refused.status_code == 403, refused.text

    # The sender's results: per learner by id, counts in the question's order.
    res = await client.get(f"/v1/surveys/{sid}/results", headers=client.as_(TEACHER))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["sent"] == 10 and body["answered"] == 2
    ids = [r["learner_id"] for r in body["learners"]]
    assert ids == sorted(ids)
    q1 = next(c for c in body["counts"] if c["question_id"] == "q1")
    assert list(q1["options"].items()) == [("space", 2), ("robots", 2), ("music", 0)]
    q4 = next(c for c in body["counts"] if c["question_id"] == "q4")
    assert q4["options"]["4"] == 2
    # Results are the sender's only; learners and guardians see none.
    for who in (OTHER_TEACHER, as_user("admin-district", "district_admin")):
        assert (
            await client.get(f"/v1/surveys/{sid}/results", headers=client.as_(who))
        ).status_code == 404
    for who in (as_learner(24), as_user("guardian-24", "guardian")):
        assert (
            await client.get(f"/v1/surveys/{sid}/results", headers=client.as_(who))
        ).status_code == 403

    emitted = [e for e in await events(client, "survey.answered") if e["survey_id"] == sid]
    assert {e["learner_id"]: e["applied_fields"] for e in emitted} == {
        str(learner(24)): done.json()["applied_fields"],
        str(learner(25)): [],
    }
    assert all(set(e) == {"survey_id", "learner_id", "applied_fields"} for e in emitted)


async def test_bad_answers_store_nothing(client: ServiceClient) -> None:
    sid = await new_survey(client)
    await client.post(
        f"/v1/surveys/{sid}/send",
        json={"learner_ids": [str(learner(26))]},
        headers=client.as_(TEACHER),
    )
    before = await profile(client, 26)
    bad = {"answers": [
        {"question_id": "q2", "value": ["podcast"], "apply_to_profile": True},
        {"question_id": "q5", "value": "hi", "apply_to_profile": True},
    ]}  # fmt: skip
    refused = await client.post(
        f"/v1/learners/{learner(26)}/surveys/{sid}/answers",
        json=bad,
        headers=client.as_(as_learner(26)),
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [
        "body.answers.0.value",
        "body.answers.1.apply_to_profile",
    ]
    assert await profile(client, 26) == before
    still = await client.get(
        f"/v1/learners/{learner(26)}/surveys/{sid}", headers=client.as_(as_learner(26))
    )
    assert still.json()["status"] == "open"
    # A survey never sent to the learner is 404; a learner of another teacher is refused at send.
    missing = await client.get(
        f"/v1/learners/{learner(26)}/surveys/{uuid.UUID(int=5)}", headers=client.as_(as_learner(26))
    )
    assert missing.status_code == 404
    not_mine = await client.post(
        f"/v1/surveys/{sid}/send",
        json={"learner_ids": [str(learner(1))]},
        headers=client.as_(TEACHER),
    )
    assert not_mine.status_code == 403
