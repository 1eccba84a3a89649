"""A plan the learner drafts: the pure rules (roles recorded, status gates, If-Match, order)."""

import uuid

import pytest

from pathwise_pathways.domain import proposals as rules
from pathwise_pathways.domain.graph import build_graph
from pathwise_shared.auth import Principal
from pathwise_shared.problems import (
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableContent,
)

# a -> b -> c, and d alone
GRAPH = build_graph(["a", "b", "c", "d"], [("a", "b"), ("b", "c")])


def user(*roles: str) -> Principal:
    return Principal(subject="u", district_id=uuid.uuid4(), roles=frozenset(roles))


def test_the_role_recorded_is_the_highest_held() -> None:
    assert rules.role_of(user("student")) == "student"
    assert rules.role_of(user("guardian", "teacher")) == "teacher"
    assert rules.role_of(Principal(subject="c", kind="client")) == "client"
    assert rules.role_of(Principal(subject="s", kind="system")) == "system"


def test_an_order_keeps_every_skill_after_its_prerequisites_transitively() -> None:
    rules.check_order(GRAPH, ["a", "d", "c"])  # b is left to the planner
    rules.check_order(GRAPH, ["d"])
    assert rules.order_conflict(GRAPH, ["c", "a"]) == rules.OrderConflict("c", "a")
    with pytest.raises(Conflict) as refused:
        rules.check_order(GRAPH, ["d", "c", "b"])
    assert refused.value.type.endswith("/prerequisite-order")
    assert refused.value.extensions["skill_code"] == "c"
    assert refused.value.extensions["prerequisite"] == "b"


def test_a_skill_twice_in_the_order_is_422() -> None:
    with pytest.raises(UnprocessableContent) as refused:
        rules.check_order(GRAPH, ["a", "a"])
    assert refused.value.type.endswith("/invalid-order")


def test_unknown_codes_are_named_once_sorted() -> None:
    assert rules.unknown_codes(GRAPH, ["z", "a", "y", "z"]) == ["y", "z"]


def test_if_match_missing_is_428_and_stale_is_412() -> None:
    rules.require_match(rules.proposal_etag(3), 3)
    rules.require_match(f"W/{rules.proposal_etag(3)}", 3)
    with pytest.raises(PreconditionRequired):
        rules.require_match(None, 3)
    with pytest.raises(PreconditionFailed):
        rules.require_match(rules.proposal_etag(2), 3)


def test_status_gates() -> None:
    rules.require_status("returned", rules.EDITABLE, "edited")
    with pytest.raises(Conflict) as refused:
        rules.require_status("approved", rules.EDITABLE, "edited")
    assert refused.value.type.endswith("/proposal-status")
