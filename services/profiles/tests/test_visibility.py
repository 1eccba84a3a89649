"""Unit tests of the pure visibility, edit and ETag rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathwise_profiles.domain.changes import diff
from pathwise_profiles.domain.etags import etag_of, require_match
from pathwise_profiles.domain.profile import PARTS, default_restrictions, default_sharing
from pathwise_profiles.domain.visibility import forbidden_fields, reader_for, visible_parts
from pathwise_shared.problems import PreconditionFailed, PreconditionRequired

ALL = set(PARTS)


def test_admins_and_teachers_see_everything_by_default() -> None:
    for reader in ("admin", "teacher"):
        assert (
            visible_parts(
                reader,
                default_restrictions(),
                default_sharing(),
                learner_may_hide_from_teachers=False,
            )
            == ALL
        )


def test_notes_are_hidden_from_the_student_by_default() -> None:
    seen = visible_parts(
        "student", default_restrictions(), default_sharing(), learner_may_hide_from_teachers=False
    )
    assert seen == ALL - {"notes"}


def test_staff_can_hide_accommodations_from_student_and_guardians() -> None:
    restrictions = {
        "accommodations": {"hide_from_student": True, "hide_from_guardians": True},
        "notes": {"hide_from_student": True, "hide_from_guardians": True},
    }
    for reader in ("student", "guardian"):
        seen = visible_parts(
            reader, restrictions, default_sharing(), learner_may_hide_from_teachers=False
        )
        assert "accommodations" not in seen and "notes" not in seen


def test_learner_consent_hides_owned_parts_from_guardians() -> None:
    sharing = {
        "interests": {"guardians": False, "teachers": False},
        "goals": {"guardians": True, "teachers": False},
    }
    guardian = visible_parts(
        "guardian", default_restrictions(), sharing, learner_may_hide_from_teachers=False
    )
    assert "interests" not in guardian and "goals" in guardian
    # District policy decides whether the learner may also hide from teachers.
    assert (
        visible_parts(
            "teacher", default_restrictions(), sharing, learner_may_hide_from_teachers=False
        )
        == ALL
    )
    assert visible_parts(
        "teacher", default_restrictions(), sharing, learner_may_hide_from_teachers=True
    ) == ALL - {"interests", "goals"}


def test_clients_never_see_accommodations_or_notes() -> None:
    assert visible_parts(
        "client", default_restrictions(), default_sharing(), learner_may_hide_from_teachers=False
    ) == ALL - {"accommodations", "notes"}


def test_who_edits_what() -> None:
    assert forbidden_fields("student", ["interests", "goals", "sharing"]) == []
    assert forbidden_fields("student", ["interests", "accommodations", "pace"]) == [
        "accommodations",
        "pace",
    ]
    assert forbidden_fields("teacher", ["accommodations", "notes", "restrictions"]) == []
    assert forbidden_fields("teacher", ["sharing"]) == ["sharing"]
    assert forbidden_fields("guardian", ["interests"]) == ["interests"]


@pytest.mark.parametrize(
    ("reason", "reader"),
    [
        ("district_admin", "admin"),
        ("school_admin_of_school", "admin"),
        ("system", "admin"),
        ("teacher_of_learner", "teacher"),
        ("guardian_of_learner", "guardian"),
        ("self", "student"),
        ("client_scope", "client"),
    ],
)
def test_reader_from_reason(reason: str, reader: str) -> None:
    assert reader_for(reason) == reader


def test_if_match() -> None:
    current = etag_of("profile", 3)
    require_match(current, current)
    require_match(f'W/{current}, "profile-9"', current)
    require_match("*", current)
    with pytest.raises(PreconditionRequired):
        require_match(None, current)
    with pytest.raises(PreconditionFailed):
        require_match(etag_of("profile", 2), current)


@given(
    st.dictionaries(st.sampled_from(PARTS), st.integers()),
    st.dictionaries(st.sampled_from(PARTS), st.integers()),
)
def test_diff_names_exactly_the_changed_fields(
    before: dict[str, int], after: dict[str, int]
) -> None:
    fields, old, new = diff(before, after)
    assert set(fields) == {k for k in after if before.get(k) != after[k]}
    assert all(new[f] == after[f] and old[f] == before.get(f) for f in fields)
