"""Consent settings are honoured or refused (422 naming the field and why), never stored and
ignored; the disclosure the other services filter derived data with follows the same rules."""

from collections.abc import Iterator
from typing import Any

import pytest

from pathwise_devstack.profiles_fixtures import as_learner, as_user, learner
from pathwise_devstack.testing import ServiceClient
from pathwise_profiles.domain.profile import default_sharing
from pathwise_profiles.domain.visibility import reader_for_class, refused_settings
from pathwise_shared.demo import demo_id

TEACHER = as_user("teacher-01", "teacher")


def path(n: int) -> str:
    return f"/v1/learners/{learner(n)}/profile"


async def _patch(client: ServiceClient, n: int, principal: Any, body: dict[str, Any]) -> Any:
    etag = (await client.get(path(n), headers=client.as_(principal))).headers["etag"]
    return await client.patch(
        path(n), json=body, headers={**client.as_(principal), "If-Match": etag}
    )


@pytest.fixture
def hiding_from_teachers_allowed(client: ServiceClient) -> Iterator[None]:
    """The district policy switched on for one test (the client's app is session-wide)."""
    settings = client.app.state.settings
    settings.learner_may_hide_from_teachers = True
    try:
        yield
    finally:
        settings.learner_may_hide_from_teachers = False


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"interests": {"teachers": False}}, "body.sharing.interests.teachers", "does not let"),
        (
            {"goals": {"guardians": True, "teachers": False}},
            "body.sharing.goals.teachers",
            "policy",
        ),
        ({"accommodations": {"teachers": False}}, "body.sharing.accommodations", "legally"),
        ({"notes": {"guardians": False}}, "body.sharing.notes", "staff"),
        (
            {"strengths": {"guardians": False}},
            "body.sharing.strengths",
            "only interests, goals and reflections",
        ),
        ({"interests": {"staff": False}}, "body.sharing.interests.staff", "unknown audience"),
    ],
)
async def test_learner_settings_we_cannot_honour_are_refused(
    client: ServiceClient, body: dict[str, Any], field: str, words: str
) -> None:
    answer = await _patch(client, 14, as_learner(14), {"sharing": body})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["type"] == "https://pathwise.dev/problems/setting-not-honoured"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert words in problem["errors"][0]["message"]
    # Nothing was stored: the profile still shares as by default.
    shown = (await client.get(path(14), headers=client.as_(as_learner(14)))).json()["sharing"]
    assert shown == default_sharing()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"accommodations": {"hide_from_teachers": True}}, "hide_from_teachers", "legally"),
        ({"interests": {"hide_from_guardians": True}}, "restrictions.interests", "learner's"),
        ({"notes": {"hide_from_admins": True}}, "hide_from_admins", "unknown setting"),
    ],
)
async def test_staff_settings_we_cannot_honour_are_refused(
    client: ServiceClient, body: dict[str, Any], field: str, words: str
) -> None:
    answer = await _patch(client, 4, TEACHER, {"restrictions": body})
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert field in error["field"] and words in error["message"]


async def test_a_non_boolean_setting_is_a_validation_error(client: ServiceClient) -> None:
    answer = await _patch(client, 4, as_learner(4), {"sharing": {"interests": {"guardians": "no"}}})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.sharing.interests.guardians"


async def test_a_partial_setting_keeps_the_others(client: ServiceClient) -> None:
    me = as_learner(6)
    ok = await _patch(client, 6, me, {"sharing": {"goals": {"guardians": False}}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["sharing"]["goals"] == {"guardians": False, "teachers": True}
    back = await _patch(client, 6, me, {"sharing": {"goals": {"guardians": True}}})
    assert back.json()["sharing"]["goals"] == {"guardians": True, "teachers": True}


@pytest.mark.usefixtures("hiding_from_teachers_allowed")
async def test_where_the_district_allows_it_hiding_from_teachers_is_honoured(
    client: ServiceClient,
) -> None:
    me = as_learner(7)
    ok = await _patch(client, 7, me, {"sharing": {"interests": {"teachers": False}}})
    assert ok.status_code == 200, ok.text
    try:
        teacher = (await client.get(path(7), headers=client.as_(TEACHER))).json()
        assert teacher["interests"] is None and "interests" in teacher["hidden"]
        seen = await client.get(
            f"/internal/learners/{learner(7)}/disclosure", headers=client.as_(TEACHER)
        )
        assert seen.json() == {"learner_id": str(learner(7)), "reader": "teacher",
                               "hidden": ["interests"]}  # fmt: skip
        roster = await client.get(
            f"/internal/classes/{demo_id('class', 'grade3-math')}/learners",
            headers=client.as_(TEACHER),
        )
        hidden = {row["id"]: row["hidden"] for row in roster.json()["learners"]}
        assert hidden[str(learner(7))] == ["interests"] and hidden[str(learner(1))] == []
    finally:
        await _patch(client, 7, me, {"sharing": {"interests": {"teachers": True}}})


@pytest.mark.parametrize(
    ("n", "principal", "reader", "hidden"),
    [
        (12, as_learner(12), "student", ["accommodations", "notes"]),
        (12, as_user("guardian-12", "guardian"), "guardian", []),
        (12, as_user("teacher-02", "teacher"), "teacher", []),
        (5, as_learner(5), "student", ["notes"]),
    ],
)
async def test_disclosure_names_what_the_caller_may_not_see(
    client: ServiceClient, n: int, principal: Any, reader: str, hidden: list[str]
) -> None:
    answer = await client.get(
        f"/internal/learners/{learner(n)}/disclosure", headers=client.as_(principal)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["reader"] == reader and answer.json()["hidden"] == hidden


async def test_disclosure_is_refused_to_strangers(client: ServiceClient) -> None:
    answer = await client.get(
        f"/internal/learners/{learner(12)}/disclosure",
        headers=client.as_(as_user("guardian-13", "guardian")),
    )
    assert answer.status_code == 403


def test_refusals_are_pure_and_policy_dependent() -> None:
    sharing = {"interests": {"guardians": False, "teachers": False}}
    assert refused_settings(None, sharing, learner_may_hide_from_teachers=True) == []
    refused = refused_settings(None, sharing, learner_may_hide_from_teachers=False)
    assert [r.field for r in refused] == ["sharing.interests.teachers"]
    assert (
        refused_settings(
            {"accommodations": {"hide_from_student": True, "hide_from_guardians": True}},
            {"goals": {"guardians": False, "teachers": True}},
            learner_may_hide_from_teachers=False,
        )
        == []
    )


def test_class_readers() -> None:
    assert reader_for_class("system", []) == "admin"
    assert reader_for_class("client", []) == "client"
    assert reader_for_class("user", ["school_admin"]) == "admin"
    assert reader_for_class("user", ["teacher"]) == "teacher"
