"""The audit log in plain words (``proxy/domain/audit_phrases.py``): the sentence a guardian
reads, the role in words, the purpose derived from role and operation, an unknown operation."""

import pytest

from pathwise_gateway.proxy.domain.audit_phrases import (
    FALLBACK,
    PHRASES,
    PURPOSES,
    ROLE_WORDS,
    phrase_of,
    purpose_of,
    role_words,
    sentence,
)


def test_a_teacher_viewing_the_profile_reads_plainly() -> None:
    phrase = phrase_of("get_profile", "read")
    assert sentence("Ana Rivera", "user", ["teacher"], phrase, 200) == (
        "Ana Rivera (teacher) viewed the learning profile"
    )
    assert purpose_of("user", ["teacher"], phrase.area) == "teaching"


def test_an_integration_reading_the_roster_is_a_roster_sync() -> None:
    phrase = phrase_of("getStudentsForClass", "read")
    assert sentence("Lakeside SIS", "client", ["roster:read"], phrase, 200) == (
        "Lakeside SIS (integration) read a class's students from the roster"
    )
    assert purpose_of("client", ["roster:read"], phrase.area) == "district roster sync"
    # Any other area is the district's data exchange, whatever scopes the client holds.
    mastery = phrase_of("get_learner_mastery", "read")
    assert purpose_of("client", ["roster:read"], mastery.area) == (
        "district data exchange with an integrated system"
    )


@pytest.mark.parametrize(
    ("roles", "words", "purpose"),
    [
        (["school_admin"], "school administrator", "school administration"),
        (["district_admin"], "district administrator", "district administration"),
        (["guardian"], "parent or guardian",
         "a parent's or guardian's right to see their child's records"),
        (["student"], "student", "the learner's own learning"),
        # Several roles: all of them, the closest relation first (the log does not know which
        # relation the access check used).
        (["school_admin", "teacher"], "teacher and school administrator",
         "teaching or school administration"),
        ([], "user", "not recorded"),
        (["librarian"], "librarian", "not recorded"),
    ],
)  # fmt: skip
def test_roles_and_purposes(roles: list[str], words: str, purpose: str) -> None:
    assert role_words("user", roles) == words
    assert purpose_of("user", roles, "profile") == purpose


def test_a_failed_request_says_nothing_was_shown_or_changed() -> None:
    phrase = phrase_of("create_goal", "write")
    assert sentence("Ana Rivera", "user", ["teacher"], phrase, 422) == (
        "Ana Rivera (teacher) added a goal (the request failed: nothing was shown or changed)"
    )
    assert "failed" not in sentence("Ana Rivera", "user", ["teacher"], phrase, 201)


def test_an_operation_renamed_since_it_was_recorded_still_reads() -> None:
    assert phrase_of("an_operation_of_2025", "read") == FALLBACK["read"]
    assert phrase_of("an_operation_of_2025", "write").text == "changed records"
    assert phrase_of("an_operation_of_2025", "bogus") == FALLBACK["read"]


def test_phrases_are_plain_words() -> None:
    """A phrase continues a sentence that starts with a name: lower case, a past-tense verb,
    no ids, no underscores, no template braces."""
    for operation, phrase in PHRASES.items():
        text = phrase.text
        assert text and text[0].islower(), operation
        assert text.split()[0].endswith(("ed", "read", "wrote", "gave", "withdrew", "set",
                                         "chose", "took")), operation  # fmt: skip
        assert not any(c in text for c in "_{}/"), operation
    assert set(ROLE_WORDS) == set(PURPOSES)
