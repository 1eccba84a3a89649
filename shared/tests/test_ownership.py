"""The content-ownership rule (pathwise_shared.ownership): who may change content, and when schools
matter (the same rule for assessment's items and pathways' activities; the scope is each service's)."""

import uuid

import pytest

from pathwise_devstack.testing import make_principal
from pathwise_shared.auth import Principal
from pathwise_shared.ownership import (
    Owner,
    author_school,
    creator_needs_school,
    may_change,
    needs_editor_schools,
)

WRITE_SCOPE = "assessment:write"
DISTRICT = uuid.uuid4()
RIVERSIDE, HILLCREST = uuid.uuid4(), uuid.uuid4()
AUTHOR = make_principal(DISTRICT, roles=["teacher"])
COLLEAGUE = make_principal(DISTRICT, roles=["teacher"])
SCHOOL_ADMIN = make_principal(DISTRICT, roles=["school_admin"])
TEACHING_ADMIN = make_principal(DISTRICT, roles=["school_admin", "teacher"])
DISTRICT_ADMIN = make_principal(DISTRICT, roles=["district_admin"])
WRITER = make_principal(DISTRICT, kind="client", subject="client:lms", scopes=[WRITE_SCOPE])
READER = make_principal(DISTRICT, kind="client", subject="client:bi", scopes=["assessment:read"])
SYSTEM = make_principal(DISTRICT, kind="system", subject="system:seed")
SCHOOL_OWNED = Owner(id=AUTHOR.subject, school_id=RIVERSIDE)
DISTRICT_WIDE = Owner(id=DISTRICT_ADMIN.subject, school_id=None)
LEGACY = Owner(id=None, school_id=None)


@pytest.mark.parametrize(
    ("principal", "owner", "schools", "allowed"),
    [
        (AUTHOR, SCHOOL_OWNED, (), True),
        (COLLEAGUE, SCHOOL_OWNED, (RIVERSIDE,), False),  # same school, not the author
        (SCHOOL_ADMIN, SCHOOL_OWNED, (RIVERSIDE,), True),
        (SCHOOL_ADMIN, SCHOOL_OWNED, (HILLCREST,), False),
        (SCHOOL_ADMIN, SCHOOL_OWNED, (HILLCREST, RIVERSIDE), True),
        (SCHOOL_ADMIN, DISTRICT_WIDE, (RIVERSIDE,), False),  # no school: not one school's call
        (TEACHING_ADMIN, SCHOOL_OWNED, (RIVERSIDE,), True),
        (DISTRICT_ADMIN, SCHOOL_OWNED, (), True),
        (DISTRICT_ADMIN, LEGACY, (), True),
        (WRITER, SCHOOL_OWNED, (), True),
        (READER, SCHOOL_OWNED, (), False),
        (SYSTEM, SCHOOL_OWNED, (), True),
        (AUTHOR, LEGACY, (), False),  # nobody is the author of a row without an owner
        (COLLEAGUE, DISTRICT_WIDE, (), False),
    ],
)
def test_who_may_change(
    principal: Principal, owner: Owner, schools: tuple[uuid.UUID, ...], allowed: bool
) -> None:
    assert may_change(principal, owner, schools, WRITE_SCOPE) is allowed


def test_a_client_subject_equal_to_the_owner_does_not_make_a_user_the_author() -> None:
    # Owner ids are subjects: a user's id never equals a client's "client:…" subject.
    client_owned = Owner(id=WRITER.subject, school_id=None)
    assert may_change(WRITER, client_owned, (), WRITE_SCOPE)
    assert not may_change(COLLEAGUE, client_owned, (), WRITE_SCOPE)
    # Another service's write scope is not this one's.
    assert not may_change(WRITER, client_owned, (), "pathways:write")


def test_schools_are_looked_up_only_when_they_decide() -> None:
    assert needs_editor_schools(SCHOOL_ADMIN, SCHOOL_OWNED, WRITE_SCOPE)
    assert not needs_editor_schools(SCHOOL_ADMIN, DISTRICT_WIDE, WRITE_SCOPE)
    assert not needs_editor_schools(DISTRICT_ADMIN, SCHOOL_OWNED, WRITE_SCOPE)
    assert not needs_editor_schools(COLLEAGUE, SCHOOL_OWNED, WRITE_SCOPE)
    assert not needs_editor_schools(
        Principal(
            subject=SCHOOL_ADMIN.subject,
            district_id=DISTRICT,
            roles=frozenset({"school_admin"}),
            user_id=SCHOOL_ADMIN.user_id,
        ),
        Owner(id=SCHOOL_ADMIN.subject, school_id=RIVERSIDE),
        WRITE_SCOPE,
    )


def test_new_content_belongs_to_the_authors_school_or_the_district() -> None:
    assert creator_needs_school(AUTHOR) and creator_needs_school(SCHOOL_ADMIN)
    assert not creator_needs_school(DISTRICT_ADMIN)
    assert not creator_needs_school(WRITER) and not creator_needs_school(SYSTEM)
    assert author_school(AUTHOR, [RIVERSIDE]) == RIVERSIDE
    assert author_school(AUTHOR, [HILLCREST, RIVERSIDE]) == min(HILLCREST, RIVERSIDE)
    assert author_school(AUTHOR, []) is None
    assert author_school(DISTRICT_ADMIN, [RIVERSIDE]) is None
    assert author_school(WRITER, [RIVERSIDE]) is None
