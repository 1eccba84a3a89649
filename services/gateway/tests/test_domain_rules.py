"""Unit tests of the gateway's pure domain rules: the mastery summaries of the aggregated views
and the object a call is about. No app, no database: these run in milliseconds, and they carry
the coverage gate for the gateway features' ``domain`` packages (the proxy tests reach them only through real
processes, which coverage does not see)."""

import json
import uuid

import pytest

from pathwise_gateway.aggregates.domain import per_learner, per_skill, summarize_learner
from pathwise_gateway.proxy.domain.objects import object_id_of
from pathwise_shared.access import ObjectRef
from pathwise_shared.problems import NotFound, UnprocessableContent

ID = uuid.uuid4()


def row(
    code: str, p: object, mastered: object = False, learner: object = None
) -> dict[str, object]:
    return {"skill_code": code, "p_known": p, "mastered": mastered, "learner_id": learner}


def test_a_learner_summary_counts_mastered_skills_and_skips_odd_rows() -> None:
    summary = summarize_learner(
        [row("B", 0.9, True), row("A", 0.5), row("C", "high"), "junk", {"p_known": 1.0}]
    )
    assert (summary.skills_tracked, summary.skills_mastered) == (2, 1)
    assert summary.mean_p_known == 0.7
    assert [s["skill_code"] for s in summary.skills] == ["A", "B"]  # sorted by skill


def test_a_learner_with_no_evidence_has_no_mean() -> None:
    summary = summarize_learner([])
    assert (summary.skills_tracked, summary.skills_mastered, summary.mean_p_known) == (0, 0, None)


def test_per_skill_counts_learners_and_mastery() -> None:
    stats = per_skill([row("B", 1), row("A", 0.2), row("A", 0.8, True), row("A", 0.5, "yes"), 7])
    assert [(s.skill_code, s.learners_assessed, s.learners_mastered) for s in stats] == [
        ("A", 3, 1),  # only a literal True counts as mastered
        ("B", 1, 0),
    ]
    assert stats[0].mean_p_known == 0.5


def test_per_learner_maps_learners_to_skills() -> None:
    rows = [row("A", 0.2, learner="l1"), row("B", 1, learner="l1"), row("A", 0.9, learner="l2")]
    assert per_learner([*rows, row("A", 0.4), row("A", 0.4, learner=3)]) == {
        "l1": {"A": 0.2, "B": 1.0},
        "l2": {"A": 0.9},
    }


def test_a_path_object_is_required() -> None:
    ref = ObjectRef("learner", "learner_id", "path")
    assert object_id_of(ref, {"learner_id": str(ID)}, "", b"") == ID
    for params in ({}, {"learner_id": "not-an-id"}):
        with pytest.raises(NotFound) as missing:
            object_id_of(ref, params, "", b"")
        assert missing.value.type == "https://pathwise.dev/problems/learner-not-found"


def test_a_query_object_is_an_optional_single_id() -> None:
    ref = ObjectRef("learner", "learner_id", "query")
    assert object_id_of(ref, {}, "", b"") is None
    assert object_id_of(ref, {}, f"learner_id={ID}&x=1", b"") == ID
    for query in ("learner_id=", "learner_id=nope", f"learner_id={ID}&learner_id={ID}"):
        with pytest.raises(UnprocessableContent) as bad:
            object_id_of(ref, {}, query, b"")
        assert bad.value.type == "https://pathwise.dev/problems/invalid-object-id"


def test_a_body_object_is_required_and_must_be_an_id() -> None:
    ref = ObjectRef("learner", "learner_id", "body")
    assert object_id_of(ref, {}, "", json.dumps({"learner_id": str(ID)}).encode()) == ID
    deep = b"[" * 100_000 + b"]" * 100_000  # a body json cannot parse without recursing away
    for body in (b"", b"{not json", b"[]", b'{"learner_id": 5}', b'{"other": "x"}', deep):
        with pytest.raises(UnprocessableContent) as bad:
            object_id_of(ref, {}, "", body)
        assert bad.value.type == "https://pathwise.dev/problems/invalid-object-id"
