"""Every public operation that names an object about learners declares it, so a new route cannot
forget its object-level check.

The gateway runs the relation check for the one object an operation declares
(``access(learner=..., class_=..., school=..., attempt=..., source=...)``). This test walks the
OpenAPI of all four services and fails for any public operation (``/v1`` or OneRoster) where a parameter named in
``OBJECT_PARAMS`` (``learner_id``, ``class_id``, ``school_id``, ``attempt_id``) appears in the
path, the query string or the JSON body without being either the declared object or listed in
``service_checks`` (parameters whose rule only the owning service can apply, e.g. a school
admin's own schools in a roster write).
"""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from pathwise_assessment.app import create_app as assessment_app
from pathwise_gateway.app import create_app as gateway_app
from pathwise_pathways.app import create_app as pathways_app
from pathwise_profiles.app import create_app as profiles_app
from pathwise_shared.access import (
    ACCESS_EXTENSION,
    OBJECT_PARAMS,
    STAFF,
    AccessRule,
    access,
    is_public_path,
)

APPS: dict[str, Callable[[], FastAPI]] = {
    "profiles": profiles_app,
    "pathways": pathways_app,
    "assessment": assessment_app,
    "gateway": gateway_app,
}
METHODS = ("get", "put", "post", "patch", "delete")


def _properties(spec: dict[str, Any], schema: Any, seen: tuple[str, ...] = ()) -> set[str]:
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
    return found


def undeclared_objects(spec: dict[str, Any]) -> Iterator[str]:
    """One line per operation naming an object it does not declare."""
    for path, item in spec.get("paths", {}).items():
        if not is_public_path(path):
            continue
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            rule = AccessRule.from_openapi(op.get(ACCESS_EXTENSION))
            named: dict[str, str] = {}
            for param in op.get("parameters", []):
                named.setdefault(param["name"], param["in"])
            for content in op.get("requestBody", {}).get("content", {}).values():
                for prop in _properties(spec, content.get("schema")):
                    named.setdefault(prop, "body")
            for name, where in sorted(named.items()):
                if name not in OBJECT_PARAMS:
                    continue
                if rule is None:
                    # No rule at all: the gateway does not expose it (unless it is the gateway's
                    # own public route, such as the token endpoint, which names no learner).
                    yield f"{method.upper()} {path}: names {name} ({where}) but has no access rule"
                    continue
                declared = rule.object
                if declared is not None and declared.param == name:
                    if where != declared.source:
                        yield (f"{method.upper()} {path}: {name} is in the {where}, declared in "
                               f"the {declared.source}")  # fmt: skip
                    continue
                if name in rule.service_checks:
                    continue
                yield f"{method.upper()} {path}: names {name} ({where}) without declaring it"


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_operation_declares_the_objects_it_names(service: str) -> None:
    spec = APPS[service]().openapi()
    assert list(undeclared_objects(spec)) == []


def test_attempt_operations_declare_their_attempt_or_learner() -> None:
    spec = assessment_app().openapi()
    declared = {
        (method, path): AccessRule.from_openapi(op.get(ACCESS_EXTENSION))
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/v1/attempts") or path.endswith("/attempts")
    }
    assert declared, "no attempt operations found"
    for (method, path), rule in declared.items():
        assert rule is not None and rule.object is not None, (method, path)
        assert rule.object.kind in ("attempt", "learner"), (method, path)


class _Body(BaseModel):
    learner_id: uuid.UUID


def _probe_app(**declared: Any) -> FastAPI:
    router = APIRouter(prefix="/v1")

    @router.post("/things", **access(roles=STAFF, action="write", **declared))
    async def make_thing(body: _Body) -> dict[str, str]:
        return {}

    @router.get("/things/{attempt_id}", **access(roles=STAFF))
    async def read_thing(attempt_id: uuid.UUID) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    return app


def test_the_check_catches_a_route_that_forgot_its_declaration() -> None:
    """The checker is not vacuous: an undeclared body learner and path attempt are both found,
    and declaring them clears exactly those."""
    found = list(undeclared_objects(_probe_app().openapi()))
    assert found == [
        "POST /v1/things: names learner_id (body) without declaring it",
        "GET /v1/things/{attempt_id}: names attempt_id (path) without declaring it",
    ]
    fixed = list(undeclared_objects(_probe_app(learner="learner_id", source="body").openapi()))
    assert fixed == ["GET /v1/things/{attempt_id}: names attempt_id (path) without declaring it"]
    wrong_place = list(undeclared_objects(_probe_app(learner="learner_id").openapi()))
    assert "POST /v1/things: learner_id is in the body, declared in the path" in wrong_place
