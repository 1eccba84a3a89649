"""The pure access rule (``domain/access_rules.decide``) for the guardian's "consent" action: a
guardian acting for their own child. The relations are given, so every combination of roles is
cheap to walk; tests/test_access_matrix.py runs the same rule against the demo roster."""

import uuid
from itertools import combinations

import pytest

from pathwise_profiles.domain.access_rules import Relations, decide
from pathwise_shared.auth import Principal

DISTRICT = uuid.uuid4()
ROLES = ("student", "guardian", "teacher", "school_admin", "district_admin")
# Every relation a principal can have with a learner, at once: only the guardian link counts.
EVERYTHING = Relations(
    found=True, teaches=True, guardian_of=True, is_self=True, administers_school=True
)
NOT_THEIR_CHILD = Relations(
    found=True, teaches=True, guardian_of=False, is_self=True, administers_school=True
)


def user(*roles: str) -> Principal:
    return Principal(subject="u", district_id=DISTRICT, roles=frozenset(roles))


ALL_ROLE_SETS = [set(c) for n in range(1, len(ROLES) + 1) for c in combinations(ROLES, n)]


@pytest.mark.parametrize("roles", ALL_ROLE_SETS, ids=lambda r: "+".join(sorted(r)))
def test_consent_needs_the_guardian_role_and_the_guardian_link(roles: set[str]) -> None:
    linked = decide(user(*roles), "consent", "learner", EVERYTHING)
    assert linked.allowed is ("guardian" in roles)
    # Whatever else the principal is to the learner (their teacher, their school's admin, the
    # district's admin, the learner themself), without the link there is no consent.
    unlinked = decide(user(*roles), "consent", "learner", NOT_THEIR_CHILD)
    assert (unlinked.allowed, unlinked.found, unlinked.reason) == (False, True, "not_guardian")


def test_the_same_relations_still_grant_reads_and_writes() -> None:
    # The consent action is narrower than what the other roles do with the learner's records.
    assert decide(user("teacher", "guardian"), "write", "learner", NOT_THEIR_CHILD).allowed
    assert decide(user("district_admin"), "read", "learner", NOT_THEIR_CHILD).allowed


def test_consent_is_about_a_learner_only() -> None:
    assert not decide(user("guardian"), "consent", "class", EVERYTHING).allowed
    assert not decide(user("guardian"), "consent", "school", EVERYTHING).allowed


def test_a_client_never_consents() -> None:
    client = Principal(
        subject="c", kind="client", district_id=DISTRICT,
        scopes=frozenset({"profiles:read", "roster:read", "roster:write"}),
    )  # fmt: skip
    decision = decide(client, "consent", "learner", EVERYTHING)
    assert (decision.allowed, decision.reason) == (False, "not_guardian")


def test_another_district_is_not_found() -> None:
    decision = decide(user("guardian"), "consent", "learner", Relations(found=False))
    assert (decision.allowed, decision.found) == (False, False)
