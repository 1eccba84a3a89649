"""The pure rules of messages (``domain/messages.py``): who may take part in a thread about a
learner, who sees one, and the ``message`` action of the access check."""

import uuid

import pytest

from pathwise_profiles.domain import messages as rules
from pathwise_profiles.domain.access_rules import Relations, decide
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, UnprocessableContent

DISTRICT = uuid.UUID(int=1)
LEARNER = uuid.UUID(int=100)
TEACHER = uuid.UUID(int=200)
GUARDIAN = uuid.UUID(int=300)
ADMIN = uuid.UUID(int=400)
STRANGER = uuid.UUID(int=500)
DISTRICT_ADMIN = uuid.UUID(int=600)

FACTS = [
    rules.Candidate(LEARNER, True, frozenset({"student"})),
    rules.Candidate(TEACHER, True, frozenset({"teacher"}), teaches=True, same_school=True),
    rules.Candidate(GUARDIAN, True, frozenset({"guardian"}), guardian_of=True),
    rules.Candidate(ADMIN, True, frozenset({"school_admin"}), same_school=True),
    # A teacher of the same school but none of the learner's classes; a guardian of another.
    rules.Candidate(STRANGER, True, frozenset({"teacher", "guardian"}), same_school=True),
    rules.Candidate(DISTRICT_ADMIN, True, frozenset({"district_admin"})),
]


def user(uid: uuid.UUID, *roles: str) -> Principal:
    return Principal(
        subject=f"user:{uid}", kind="user", roles=frozenset(roles), user_id=uid,
        district_id=DISTRICT,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("who", "allowed", "expected"),
    [
        (TEACHER, False, "teacher"),
        (GUARDIAN, False, "guardian"),
        (ADMIN, False, "school_admin"),
        (LEARNER, True, "student"),
        (LEARNER, False, None),
        (STRANGER, True, None),
        (DISTRICT_ADMIN, True, None),
    ],
)
def test_participant_role(who: uuid.UUID, allowed: bool, expected: str | None) -> None:
    facts = {c.user_id: c for c in FACTS}[who]
    assert rules.participant_role(facts, LEARNER, learner_allowed=allowed) == expected


def test_a_role_without_its_relation_is_not_enough() -> None:
    # A guardian link to the learner held by a user without the guardian role (or the reverse).
    linked_teacher = rules.Candidate(STRANGER, True, frozenset({"teacher"}), guardian_of=True)
    assert rules.participant_role(linked_teacher, LEARNER, learner_allowed=True) is None
    unknown = rules.Candidate(STRANGER, False)
    assert rules.participant_role(unknown, LEARNER, learner_allowed=True) is None


def test_participants_are_checked_all_together() -> None:
    roles = rules.check_participants(
        TEACHER, [GUARDIAN, ADMIN, GUARDIAN, TEACHER], FACTS, LEARNER, learner_allowed=False
    )
    assert list(roles.items()) == [
        (TEACHER, "teacher"), (GUARDIAN, "guardian"), (ADMIN, "school_admin"),
    ]  # fmt: skip


def test_unrelated_participants_are_named_and_refuse_the_thread() -> None:
    with pytest.raises(UnprocessableContent) as caught:
        rules.check_participants(
            TEACHER,
            [GUARDIAN, STRANGER, DISTRICT_ADMIN, LEARNER, uuid.UUID(int=9)],
            FACTS,
            LEARNER,
            learner_allowed=False,
        )
    problem = caught.value
    assert problem.type.endswith("/participant-not-related")
    assert problem.extensions["refused"] == [
        str(STRANGER), str(DISTRICT_ADMIN), str(LEARNER), str(uuid.UUID(int=9)),
    ]  # fmt: skip


def test_the_learner_joins_only_when_the_district_allows() -> None:
    roles = rules.check_participants(
        TEACHER, [LEARNER, GUARDIAN], FACTS, LEARNER, learner_allowed=True
    )
    assert roles[LEARNER] == "student"
    with pytest.raises(Forbidden) as caught:
        rules.check_participants(LEARNER, [TEACHER], FACTS, LEARNER, learner_allowed=False)
    assert caught.value.type.endswith("/learner-threads-off")


def test_an_unrelated_author_is_forbidden() -> None:
    for author in (DISTRICT_ADMIN, STRANGER):
        with pytest.raises(Forbidden) as caught:
            rules.check_participants(author, [TEACHER], FACTS, LEARNER, learner_allowed=True)
        assert caught.value.type.endswith("/not-a-participant")


def test_a_thread_needs_someone_else_and_not_too_many() -> None:
    with pytest.raises(UnprocessableContent):
        rules.check_participants(TEACHER, [TEACHER], FACTS, LEARNER, learner_allowed=True)
    many = [uuid.UUID(int=1000 + n) for n in range(rules.MAX_PARTICIPANTS + 1)]
    with pytest.raises(UnprocessableContent) as caught:
        rules.check_participants(TEACHER, many, FACTS, LEARNER, learner_allowed=True)
    assert caught.value.type.endswith("/too-many-participants")


def test_who_sees_a_thread() -> None:
    people = [TEACHER, GUARDIAN, LEARNER]
    see = rules.viewer_of
    assert see(user(GUARDIAN, "guardian"), people, LEARNER, learner_allowed=False) == "participant"
    assert see(user(ADMIN, "school_admin"), people, LEARNER, learner_allowed=False) is None
    assert see(user(STRANGER, "teacher"), people, LEARNER, learner_allowed=False) is None
    assert see(user(LEARNER, "student"), people, LEARNER, learner_allowed=False) is None
    assert see(user(LEARNER, "student"), people, LEARNER, learner_allowed=True) == "participant"
    moderator = user(DISTRICT_ADMIN, "district_admin")
    assert see(moderator, people, LEARNER, learner_allowed=False) == "moderator"


def test_message_body_and_unread() -> None:
    assert rules.check_body("  hi  ") == "hi"
    with pytest.raises(UnprocessableContent):
        rules.check_body(" \n ")
    assert rules.unread(5, 2) == 3 and rules.unread(2, 5) == 0
    key = rules.new_attachment_key(LEARNER)
    assert key.startswith(f"messages/{LEARNER}/") and key != rules.new_attachment_key(LEARNER)


RELATED = Relations(found=True, teaches=True, guardian_of=True, administers_school=True)


@pytest.mark.parametrize(
    ("principal", "rel", "allowed", "reason"),
    [
        (user(TEACHER, "teacher"), Relations(found=True, teaches=True), True, "teacher_of_learner"),
        (user(GUARDIAN, "guardian"), Relations(found=True, guardian_of=True), True,
         "guardian_of_learner"),
        (user(ADMIN, "school_admin"), Relations(found=True, administers_school=True), True,
         "school_admin_of_school"),
        (user(LEARNER, "student"), Relations(found=True, is_self=True), True, "self"),
        (user(GUARDIAN, "guardian"), Relations(found=True), False, "not_related"),
        (user(STRANGER, "teacher"), Relations(found=True), False, "not_related"),
        # A district administrator reads every learner's threads, writes in none.
        (user(DISTRICT_ADMIN, "district_admin"), RELATED, False, "not_related"),
        (Principal(subject="client:x", kind="client", scopes=frozenset({"profiles:read",
         "roster:write"}), district_id=DISTRICT), RELATED, False, "not_related"),
        (user(TEACHER, "teacher"), Relations(found=False), False, "not_found"),
    ],
)  # fmt: skip
def test_the_message_action(
    principal: Principal, rel: Relations, allowed: bool, reason: str
) -> None:
    decision = decide(principal, "message", "learner", rel)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_the_message_action_is_about_learners_only() -> None:
    assert not decide(user(TEACHER, "teacher"), "message", "class", RELATED).allowed
