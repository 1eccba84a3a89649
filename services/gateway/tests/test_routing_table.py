"""The route table built from the services' OpenAPI documents (pure, no I/O)."""

from typing import Any

from pathwise_gateway.edge.api.access import ObjectRef
from pathwise_gateway.proxy.domain.route_table import (
    Match,
    RouteTable,
    operations_from_openapi,
    owner_by_prefix,
)


def _spec(path: str, rule: dict[str, Any] | None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": "op", "responses": {}}
    if rule is not None:
        op["x-pathwise-access"] = rule
    return {"paths": {path: {"get": op}}}


READ = {"roles": ["teacher"], "scopes": [], "action": "read"}


def test_an_operation_without_a_rule_is_not_exposed() -> None:
    assert operations_from_openapi("profiles", _spec("/v1/things", None)) == []
    assert operations_from_openapi("profiles", _spec("/internal/x", READ)) == []
    broken = {**READ, "action": "delete-everything"}
    assert operations_from_openapi("profiles", _spec("/v1/things", broken)) == []


def test_a_declared_object_must_be_in_the_path() -> None:
    rule = {**READ, "object": {"kind": "learner", "param": "learner_id"}}
    assert operations_from_openapi("profiles", _spec("/v1/things/{thing_id}", rule)) == []


def test_a_path_naming_a_learner_class_or_school_always_gets_the_object_check() -> None:
    for path, ref in (
        ("/v1/learners/{learner_id}/notes", ObjectRef("learner", "learner_id")),
        ("/v1/classes/{class_id}/notes", ObjectRef("class", "class_id")),
        ("/v1/schools/{school_id}/notes", ObjectRef("school", "school_id")),
    ):
        (op,) = operations_from_openapi("profiles", _spec(path, READ))
        assert op.rule.object == ref, path
    (plain,) = operations_from_openapi("pathways", _spec("/v1/skills/{code}", READ))
    assert plain.rule.object is None


def test_more_literal_segments_win_and_wrong_methods_are_listed() -> None:
    spec = {
        "paths": {
            "/v1/skills/{code}": {"get": {"x-pathwise-access": READ}},
            "/v1/skills/search": {"get": {"x-pathwise-access": READ},
                                  "post": {"x-pathwise-access": READ}},
        }
    }  # fmt: skip
    table = RouteTable(operations_from_openapi("pathways", spec))
    found = table.match("GET", "/v1/skills/search")
    assert isinstance(found, Match) and found.operation.template == "/v1/skills/search"
    by_code = table.match("GET", "/v1/skills/3.NF.A.1")
    assert isinstance(by_code, Match) and by_code.params == {"code": "3.NF.A.1"}
    assert table.match("DELETE", "/v1/skills/search") == ["GET", "POST"]
    assert table.match("GET", "/v1/nothing") is None


def test_oneroster_operations_are_public_and_owned_by_profiles() -> None:
    """The OneRoster base path is public like ``/v1`` (anything else outside both is not)."""
    path = "/ims/oneroster/rostering/v1p2/users/{sourcedId}"
    (op,) = operations_from_openapi("profiles", _spec(path, READ))
    found = RouteTable([op]).match("GET", "/ims/oneroster/rostering/v1p2/users/st-1")
    assert isinstance(found, Match) and found.params == {"sourcedId": "st-1"}
    assert operations_from_openapi("profiles", _spec("/ims/oneroster/other/v1/users", READ)) == []
    assert owner_by_prefix("/ims/oneroster/rostering/v1p2/classes") == "profiles"
    assert owner_by_prefix("/ims/other") is None
