"""The rules of the public OpenAPI document (the gateway's ``/openapi.json``), checked on the
document itself, built in-process exactly as the gateway builds it from the services' documents.

They are what generated clients and readers rely on (docs/api.md, "Clients"): one name per schema,
no internal operation or body, every operation described, tagged and with an example, every error
status declared with the problem schema, file uploads as multipart. A new route of any service
is checked the day it lands; ``make openapi-check`` adds Spectral and two real generators.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from pathwise_devstack.public_openapi import build
from pathwise_gateway.proxy.domain.public_openapi import (
    HEALTH_PATHS,
    METHODS,
    PROBLEM_CONTENT_TYPE,
    reachable_schemas,
)
from pathwise_shared.access import is_public_path
from pathwise_shared.openapi import is_file_property
from pathwise_shared.problem_types import PROBLEM_TYPE_BASE, lookup

SCHEMAS = "#/components/schemas/"
# Statuses every operation can answer whatever it does: the gateway's (bad body, rate limit,
# an upstream failing, down or slow), validation, an unknown object, a bug.
ALWAYS = {"400", "404", "422", "429", "500", "502", "503", "504"}
# The routes that take a file; the generic rule below covers new ones, these pin the known ones.
UPLOADS = {("/v1/roster/imports", "post"), ("/v1/frameworks/imports/csv", "post")}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build()


@pytest.fixture(scope="module")
def service_docs() -> dict[str, dict[str, Any]]:
    from pathwise_assessment.app import create_app as assessment_app
    from pathwise_pathways.app import create_app as pathways_app
    from pathwise_profiles.app import create_app as profiles_app

    return {
        "profiles": profiles_app().openapi(),
        "pathways": pathways_app().openapi(),
        "assessment": assessment_app().openapi(),
    }


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


def schema_of(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return doc["components"]["schemas"][ref.removeprefix(SCHEMAS)] if ref else schema


def test_the_document_is_whole(doc: dict[str, Any]) -> None:
    # Guards the guards: the rules below pass trivially on an empty document.
    assert len(list(operations(doc))) > 100 and len(doc["components"]["schemas"]) > 100
    assert doc["openapi"].startswith("3.1") and doc["info"]["contact"] and doc["servers"]


def test_only_public_paths(doc: dict[str, Any]) -> None:
    odd = [p for p in doc["paths"] if not is_public_path(p) and p not in HEALTH_PATHS]
    assert odd == [], "only public operations (/v1, OneRoster; and the gateway's probes)"


def test_schema_names_are_unique_and_are_their_titles(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    wrong = {name: s.get("title") for name, s in schemas.items() if s.get("title") != name}
    assert wrong == {}, "generators name types by title: two schemas titled alike lose one"
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) for name in schemas), sorted(schemas)


def test_every_schema_is_used_and_none_is_internal_only(
    doc: dict[str, Any], service_docs: dict[str, dict[str, Any]]
) -> None:
    schemas = doc["components"]["schemas"]
    assert set(schemas) == reachable_schemas(doc["paths"], schemas)
    internal: set[str] = set()
    public: set[str] = set()
    for spec in service_docs.values():
        theirs = spec["components"]["schemas"]
        paths = spec["paths"]
        internal |= reachable_schemas(
            {p: paths[p] for p in paths if p.startswith("/internal")}, theirs
        )
        public |= reachable_schemas({p: paths[p] for p in paths if p.startswith("/v1/")}, theirs)
    only_internal = internal - public
    assert {"AccessCheckRequest", "RosterChanges"} <= only_internal, "is the scan still reading?"
    leaked = {
        name
        for name in schemas
        if name in only_internal or any(name.endswith(n) and name != n for n in only_internal
                                         if name[: -len(n)] in ("Profiles", "Pathways", "Assessment"))
    }  # fmt: skip
    assert leaked == set(), "bodies of /internal operations only, in the public document"


def test_every_operation_is_described_tagged_and_named(doc: dict[str, Any]) -> None:
    declared = {t["name"]: t.get("description", "") for t in doc["tags"]}
    missing: list[str] = []
    ids: dict[str, str] = {}
    for path, method, op in operations(doc):
        where = f"{method.upper()} {path}"
        for member in ("summary", "description", "operationId"):
            if not str(op.get(member) or "").strip():
                missing.append(f"{where}: no {member}")
        if not op.get("tags"):
            missing.append(f"{where}: no tag")
        missing += [
            f"{where}: tag {t!r} not declared" for t in op.get("tags", []) if t not in declared
        ]
        if "**Access**" not in op.get("description", ""):
            missing.append(f"{where}: the description does not say who may call it")
        other = ids.setdefault(op.get("operationId", ""), where)
        if other != where:
            missing.append(f"{where}: operationId {op['operationId']} also names {other}")
    missing += [
        f"tag {n!r}: no description (openapi_tags of its app)" for n, d in declared.items() if not d
    ]
    assert missing == []


def test_every_error_status_is_declared_with_the_problem_schema(doc: dict[str, Any]) -> None:
    wrong: list[str] = []
    for path, method, op in operations(doc):
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        expected = set(ALWAYS)
        if op.get("security") != []:
            expected |= {"401", "403"}
        if method in ("post", "put", "patch"):
            expected |= {"409", "413"}
        wrong += [f"{where}: {s} not declared" for s in sorted(expected - set(responses))]
        for status, response in responses.items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            problem = content.get(PROBLEM_CONTENT_TYPE)
            if problem is not None:
                if problem["schema"] != {"$ref": SCHEMAS + "ProblemDetail"}:
                    wrong.append(f"{where} {status}: problem+json without the problem schema")
                example = problem.get("example", {})
                kind = lookup(example.get("type", "").removeprefix(PROBLEM_TYPE_BASE))
                if not example.get("type", "").startswith(PROBLEM_TYPE_BASE) or kind is None:
                    wrong.append(f"{where} {status}: example type {example.get('type')!r}")
                elif kind.status != int(status):
                    wrong.append(f"{where} {status}: example of a {kind.status} type")
                continue
            # The token endpoint's OAuth errors (RFC 6749 §5.2) are application/json, with the
            # problem members beside error and error_description.
            body = schema_of(doc, content.get("application/json", {}).get("schema", {}))
            if not {"type", "title", "status", "error"} <= set(body.get("properties", {})):
                wrong.append(f"{where} {status}: neither a problem nor an OAuth error")
        if (
            "application/json"
            in str(
                [
                    r.get("content", {}).get("application/json", {}).get("schema")
                    for s, r in responses.items()
                    if s >= "400"
                ]
            )
            and path != "/v1/auth/token"
        ):
            wrong.append(f"{where}: an error declared as application/json")
    assert wrong == []


def test_the_problem_schema_says_absent_not_null(doc: dict[str, Any]) -> None:
    problem = doc["components"]["schemas"]["ProblemDetail"]
    assert set(problem["required"]) == {"title", "status"}
    for name in ("detail", "instance", "request_id", "errors"):
        member = problem["properties"][name]
        assert "null" not in str(member) and "anyOf" not in member, name
    assert problem["properties"]["type"]["format"] == "uri"


def test_every_operation_has_an_example(doc: dict[str, Any]) -> None:
    missing = []
    for path, method, op in operations(doc):
        bodies = [("request", op.get("requestBody") or {})]
        bodies += [(s, r) for s, r in op["responses"].items()]
        shown = 0
        for label, body in bodies:
            for media_type, media in body.get("content", {}).items():
                if "json" not in media_type or "schema" not in media:
                    continue
                if "example" in media or "examples" in media:
                    shown += 1
                elif str(label).startswith(("request", "2")):
                    missing.append(f"{method.upper()} {path} {label} {media_type}: no example")
        if not shown:
            missing.append(f"{method.upper()} {path}: no example at all")
    assert missing == []


def test_file_uploads_are_multipart(doc: dict[str, Any]) -> None:
    found = set()
    for path, method, op in operations(doc):
        for media_type, media in (op.get("requestBody") or {}).get("content", {}).items():
            props = schema_of(doc, media.get("schema", {})).get("properties", {})
            files = [n for n, p in props.items() if is_file_property(p)]
            if files:
                found.add((path, method))
                assert media_type == "multipart/form-data", f"{method} {path}: {media_type}"
                assert all(props[n]["format"] == "binary" for n in files), f"{method} {path}"
    assert found >= UPLOADS
