"""Every public operation that can put an entry on a learner's audit log has a plain-words
phrase (``pathwise_gateway.proxy.domain.audit_phrases.PHRASES``), so a guardian never reads an
operation id.

An operation can be recorded against a learner when it names a learner, an attempt, a class or
a school (the object-level check's object), when its answer names a ``learner_id`` (the gateway
reads it from the answer), or when it is a OneRoster read (the service names the learners it
showed in a header). The test builds the gateway's route table from the four services' OpenAPI,
as the gateway does, and fails with the list of operations without a phrase.
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from pathwise_assessment.app import create_app as assessment_app
from pathwise_gateway.app import create_app as gateway_app
from pathwise_gateway.proxy.domain.audit_phrases import PHRASES, RECORDED_AS, UNRECORDED
from pathwise_gateway.proxy.domain.route_table import Operation, operations_from_openapi
from pathwise_pathways.app import create_app as pathways_app
from pathwise_profiles.app import create_app as profiles_app
from pathwise_shared.access import ONEROSTER_BASE

APPS: dict[str, Callable[[], FastAPI]] = {
    "profiles": profiles_app,
    "pathways": pathways_app,
    "assessment": assessment_app,
    "gateway": gateway_app,
}


def _properties(spec: dict[str, Any], schema: Any, seen: tuple[str, ...] = ()) -> set[str]:
    """Property names of a schema, of its array items and of a page's ``items``."""
    if not isinstance(schema, dict):
        return set()
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return set()
        return _properties(spec, spec["components"]["schemas"][name], (*seen, name))
    found = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            found |= _properties(spec, sub, seen)
    found |= _properties(spec, schema.get("items"), seen)
    found |= _properties(spec, schema.get("properties", {}).get("items"), seen)
    return found


def _answer_names_a_learner(spec: dict[str, Any], op: Operation) -> bool:
    raw = spec["paths"][op.template][op.method.lower()]
    for code, answer in raw.get("responses", {}).items():
        if str(code).startswith("2"):
            for content in answer.get("content", {}).values():
                if "learner_id" in _properties(spec, content.get("schema")):
                    return True
    return False


def _touches_a_learner(spec: dict[str, Any], op: Operation) -> bool:
    if op.rule.anonymous:
        return False
    if op.rule.object is not None:
        return True  # a learner, an attempt, a class or a school
    return op.template.startswith(ONEROSTER_BASE) or _answer_names_a_learner(spec, op)


@pytest.fixture(scope="module")
def operations() -> list[tuple[str, Operation, bool]]:
    found = []
    for service, make in APPS.items():
        spec = make().openapi()
        for op in operations_from_openapi(service, spec):
            found.append((service, op, _touches_a_learner(spec, op)))
    return found


def test_every_operation_touching_a_learner_has_a_phrase(
    operations: list[tuple[str, Operation, bool]],
) -> None:
    missing = [
        f"{service}: {op.method} {op.template} ({op.operation_id})"
        for service, op, touches in operations
        if touches and op.operation_id not in PHRASES and op.operation_id not in UNRECORDED
    ]
    assert not missing, "no plain-words phrase for:\n" + "\n".join(missing)


def test_the_check_sees_the_operations_it_must(
    operations: list[tuple[str, Operation, bool]],
) -> None:
    """The walk is real: it finds operations of every kind of reach (path object, attempt,
    OneRoster, a query-named learner), and a made-up one would fail it."""
    touching = {op.operation_id for _, op, touches in operations if touches}
    assert {"get_profile", "get_attempt", "getStudentsForClass", "list_attempts",
            "learner_overview", "learner_access_log"} <= touching  # fmt: skip
    assert "list_items" not in touching and "create_client" not in touching
    assert len(touching) >= 100


def test_no_phrase_for_an_operation_that_does_not_exist(
    operations: list[tuple[str, Operation, bool]],
) -> None:
    """A stale phrase (an operation renamed or removed) is found too: the table stays the
    table of today's operations (plus the names the gateway's own views record under)."""
    known = {op.operation_id for _, op, _ in operations} | set(RECORDED_AS.values())
    assert sorted(set(PHRASES) - known) == []
    assert set(RECORDED_AS.values()) <= set(PHRASES)
