"""A bad-input corpus through the real gateway: no input gives a 5xx, every error is problem+json.

The cases are generated from the merged ``/openapi.json``, so a new route is covered the day it
is published: control characters in every path parameter of every operation, explicit ``null``
on every non-nullable body field, booleans where numbers are wanted (and the reverse), numbers
where timestamps are wanted, malformed cursors on every list operation, deeply nested JSON, and
no token with an unreadable body on every protected route.

Every case is invalid, so nothing is written to the shared stack.
"""

import base64
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from pathwise_devstack.testing import dev_login
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

WRITE_METHODS = ("post", "put", "patch")
# Real objects of the demo district for the path parameters that name one, so the object-level
# check passes and the request reaches body validation (a random id would stop at a 404).
KNOWN = {
    "district_id": demo_id("district", "riverside"),
    "school_id": demo_id("school", "riverside-elementary"),
    "class_id": demo_id("class", "grade3-math"),
    "learner_id": demo_id("learner", "learner-01"),
    "user_id": demo_id("user", "teacher-01"),
}
CONTROL = ("%00", "%1F", "%7F", "a%0Ab", "%C2%85")


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


BAD_CURSORS = (
    "@@@",
    "%00",
    _b64("not json"),
    _b64('["not-a-uuid"]'),
    _b64('["²"]'),
    _b64("[1]"),
    _b64('["a", "b"]'),
    _b64('{"id": 1}'),
    _b64("[" * 200 + "]" * 200),
)


@pytest.fixture(scope="module")
def spec(gw: httpx.Client) -> dict[str, Any]:
    document: dict[str, Any] = gw.get("/openapi.json").json()
    return document


@pytest.fixture(scope="module")
def admin(gw: httpx.Client) -> dict[str, str]:
    return dev_login(gw, "admin-district")


def _operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield method, path, op


def _resolve(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return dict(schema)


def _branches(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(spec, schema)
    if "anyOf" in schema or "oneOf" in schema:
        return [_resolve(spec, s) for s in schema.get("anyOf", schema.get("oneOf", []))]
    return [schema]


def _path_params(op: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [p for p in op.get("parameters", []) if p.get("in") == "path"]


def _fill(path: str, op: Mapping[str, Any], override: Mapping[str, str] | None = None) -> str:
    for param in _path_params(op):
        name = param["name"]
        if override and name in override:
            value = override[name]
        elif param.get("schema", {}).get("format") == "uuid":
            value = str(KNOWN.get(name, uuid.uuid4()))
        else:
            value = "3.OA.A.1"  # the string parameters are skill codes and the like
        path = path.replace("{" + name + "}", value)
    return path


def _body_properties(
    spec: Mapping[str, Any], op: Mapping[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return {}
    schema = _resolve(spec, content["application/json"]["schema"])
    return {name: _branches(spec, prop) for name, prop in schema.get("properties", {}).items()}


def _is_problem(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/problem+json")


def _check(failures: list[str], label: str, response: httpx.Response, *allowed: int) -> None:
    if response.status_code >= 500 or not _is_problem(response):
        failures.append(f"{label}: {response.status_code} {response.text[:200]}")
    elif allowed and response.status_code not in allowed:
        failures.append(f"{label}: {response.status_code} (wanted {allowed})")


def _names_field(response: httpx.Response, field: str) -> bool:
    """A 422 must name the field we broke (it may name missing required ones as well)."""
    if response.status_code != 422:
        return True  # stopped earlier (e.g. 403/404 for this role): not about this field
    errors = response.json().get("errors") or []
    return any(str(e.get("field", "")).endswith(f"body.{field}") for e in errors)


def test_corpus_covers_the_api(spec: dict[str, Any]) -> None:
    """The generators below find what they need (guards against a vacuous corpus)."""
    ops = list(_operations(spec))
    assert len(ops) > 50
    assert sum(1 for _, _, op in ops if _path_params(op)) > 20
    assert sum(1 for m, _, op in ops if m in WRITE_METHODS and _body_properties(spec, op)) > 10
    assert any(p.get("name") == "cursor" for _, _, op in ops for p in op.get("parameters", []))


def test_control_characters_in_path_parameters(
    gw: httpx.Client, spec: dict[str, Any], admin: dict[str, str]
) -> None:
    failures: list[str] = []
    for method, path, op in _operations(spec):
        for param in _path_params(op):
            for bad in CONTROL:
                url = _fill(path, op, {param["name"]: bad})
                response = gw.request(method.upper(), url, headers=admin, json={})
                # 403: this role may not call it at all (checked before the path, harmless).
                _check(failures, f"{method} {url}", response, 400, 403, 404, 422)
    assert not failures, "\n".join(failures)


def test_explicit_null_on_non_nullable_fields(
    gw: httpx.Client, spec: dict[str, Any], admin: dict[str, str]
) -> None:
    failures: list[str] = []
    patch_fields = 0
    for method, path, op in _operations(spec):
        if method not in WRITE_METHODS:
            continue
        for name, branches in _body_properties(spec, op).items():
            if any(b.get("type") == "null" for b in branches):
                continue  # a field that may be cleared
            patch_fields += method == "patch"
            response = gw.request(method.upper(), _fill(path, op), headers=admin, json={name: None})
            label = f"{method} {path} {{{name}: null}}"
            _check(failures, label, response)
            if response.status_code < 400 or not _names_field(response, name):
                failures.append(f"{label}: {response.status_code} {response.text[:200]}")
    # PATCH models publish which fields cannot be cleared (non-nullable), so they are tried here.
    assert patch_fields >= 20
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/v1/districts/{KNOWN['district_id']}", {"name": None}),
        (f"/v1/schools/{KNOWN['school_id']}", {"status": None}),
        (f"/v1/users/{KNOWN['user_id']}", {"enabled": None}),
        (f"/v1/classes/{KNOWN['class_id']}", {"status": None}),
        (f"/v1/enrollments/{demo_id('enrollment', 'grade3-math/teacher-01')}", {"primary": None}),
    ],
)
def test_null_on_existing_records_is_422_not_a_database_error(
    gw: httpx.Client, admin: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    """The reported cases, on real records: a NOT NULL column was written null (502)."""
    response = gw.patch(path, headers=admin, json=body)
    assert response.status_code == 422 and _is_problem(response), response.text
    assert _names_field(response, next(iter(body)))


def test_booleans_are_not_numbers_and_numbers_not_timestamps(
    gw: httpx.Client, spec: dict[str, Any], admin: dict[str, str]
) -> None:
    failures: list[str] = []
    tried = 0
    for method, path, op in _operations(spec):
        if method not in WRITE_METHODS:
            continue
        for name, branches in _body_properties(spec, op).items():
            types = {b.get("type") for b in branches}
            formats = {b.get("format") for b in branches}
            wrong: list[Any] = []
            if types & {"integer", "number"}:
                wrong += [True, False]
            if "boolean" in types:
                wrong += [0, 1]
            if formats & {"date-time", "date"}:
                wrong += [0, 0.5, "0"]
            for value in wrong:
                tried += 1
                url = _fill(path, op)
                response = gw.request(method.upper(), url, headers=admin, json={name: value})
                label = f"{method} {path} {{{name}: {value!r}}}"
                _check(failures, label, response)
                if response.status_code < 400 or not _names_field(response, name):
                    failures.append(f"{label}: {response.status_code} {response.text[:200]}")
    assert tried > 10
    assert not failures, "\n".join(failures)


def test_numbers_are_not_timestamps_in_queries(
    gw: httpx.Client, spec: dict[str, Any], admin: dict[str, str]
) -> None:
    failures: list[str] = []
    tried = 0
    for method, path, op in _operations(spec):
        for param in op.get("parameters", []):
            if param.get("in") != "query":
                continue
            formats = {b.get("format") for b in _branches(spec, param.get("schema", {}))}
            if "date-time" not in formats:
                continue
            for value in ("0", "0.5", "1700000000", "2026-01-01T00:00:00"):
                tried += 1
                url = _fill(path, op)
                response = gw.request(
                    method.upper(), url, headers=admin, params={param["name"]: value}
                )
                _check(failures, f"{method} {url}?{param['name']}={value}", response, 422)
    assert tried >= 3  # audit since/until, roster modified_since
    assert not failures, "\n".join(failures)


def test_malformed_cursors_on_every_list(
    gw: httpx.Client, spec: dict[str, Any], admin: dict[str, str]
) -> None:
    failures: list[str] = []
    for method, path, op in _operations(spec):
        if not any(p.get("name") == "cursor" for p in op.get("parameters", [])):
            continue
        url = _fill(path, op)
        for cursor in BAD_CURSORS:
            response = gw.request(method.upper(), url, headers=admin, params={"cursor": cursor})
            # 403/404: this role may not list it at all; never a 5xx, never a page.
            _check(failures, f"{method} {url} cursor={cursor}", response, 400, 403, 404, 422)
    assert not failures, "\n".join(failures)


def test_deeply_nested_json_bodies(
    gw: httpx.Client, spec: dict[str, Any], admin: dict[str, str]
) -> None:
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    failures: list[str] = []
    for method, path, op in _operations(spec):
        # Only operations that take a JSON body: one that takes none would ignore the document
        # and act (rotate a secret, say) on the shared stack.
        if "application/json" not in op.get("requestBody", {}).get("content", {}):
            continue
        url = _fill(path, op)
        headers = {**admin, "content-type": "application/json"}
        response = gw.request(method.upper(), url, headers=headers, content=deep)
        _check(failures, f"{method} {url}", response, 422)
        if response.status_code == 422 and "too-deeply-nested" not in response.json()["type"]:
            failures.append(f"{method} {url}: {response.text[:200]}")
    assert not failures, "\n".join(failures)


def test_signed_roster_hook_refuses_deep_json_before_parsing(gw: httpx.Client) -> None:
    """The hook parses its body itself (after the signature): a deep document is a problem."""
    url = f"/v1/webhooks/inbound/roster/{KNOWN['district_id']}"
    deep = b"[" * 100_000 + b"]" * 100_000
    response = gw.post(url, content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 422 and _is_problem(response)


def test_no_token_and_unreadable_body_is_401_on_every_protected_route(
    gw: httpx.Client, spec: dict[str, Any]
) -> None:
    failures: list[str] = []
    for method, path, op in _operations(spec):
        if op.get("security") == []:
            continue  # the token endpoint: its body is the credentials
        url = _fill(path, op)
        for headers in ({}, {"authorization": "Bearer not-a-token"}):
            response = gw.request(
                method.upper(),
                url,
                headers={**headers, "content-type": "application/json"},
                content=b"{not json",
            )
            _check(failures, f"{method} {url} {headers}", response, 401)
    assert not failures, "\n".join(failures)
