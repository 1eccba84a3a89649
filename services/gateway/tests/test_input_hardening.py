"""Input hardening at the gateway and in pathwise_shared.inputs (pure functions; the end-to-end
corpus over real HTTP is tests/test_bad_input.py)."""

import base64
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pathwise_devstack.testing import ServiceClient
from pathwise_gateway.proxy.domain.route_table import Match, RouteTable, operations_from_openapi
from pathwise_shared.auth import Principal
from pathwise_shared.inputs import (
    Day,
    Omittable,
    StrictBool,
    StrictInt,
    Timestamp,
    json_has_nul,
    json_too_deep,
    loads_limited,
)
from pathwise_shared.pagination import decode_id_cursor, decode_int_cursor, encode_cursor
from pathwise_shared.problems import Problem

READ = {"roles": ["teacher"], "scopes": [], "action": "read"}


def _table() -> RouteTable:
    op: dict[str, Any] = {
        "operationId": "get_item",
        "x-pathwise-access": READ,
        "parameters": [
            {"name": "item_id", "in": "path", "schema": {"type": "string", "format": "uuid"}}
        ],
    }
    skill: dict[str, Any] = {"operationId": "get_skill", "x-pathwise-access": READ}
    spec = {"paths": {"/v1/items/{item_id}": {"get": op}, "/v1/skills/{code}": {"get": skill}}}
    return RouteTable(operations_from_openapi("assessment", spec))


def _match(path: str) -> Match:
    found = _table().match("GET", path)
    assert isinstance(found, Match)
    return found


def test_the_route_table_keeps_which_path_params_are_uuids() -> None:
    ops = {op.operation_id: op for op in _table().operations}
    assert ops["get_item"].uuid_params == frozenset({"item_id"})
    assert ops["get_skill"].uuid_params == frozenset()


@pytest.mark.parametrize("value", ["\x00", "\x1f", "\x7f", "a\nb", "\x85", "not-a-uuid", "1"])
def test_a_path_param_that_cannot_name_an_object_is_refused(value: str) -> None:
    assert _match(f"/v1/items/{value}").invalid_param() == "item_id"


def test_control_characters_are_refused_in_any_param_and_good_values_pass() -> None:
    assert _match(f"/v1/items/{uuid.uuid4()}").invalid_param() is None
    assert _match("/v1/skills/3.OA.A.1").invalid_param() is None
    assert _match("/v1/skills/3.OA\x00").invalid_param() == "code"


def test_json_depth_is_measured_without_parsing() -> None:
    assert not json_too_deep(b'{"a": [1, {"b": 2}]}', 3)
    assert json_too_deep(b'{"a": [1, {"b": [2]}]}', 3)
    assert not json_too_deep(b'["[[[[[[[[[[[[[[["]', 2)  # brackets inside strings do not count
    assert not json_too_deep(b'["\\"[[[[[[["]', 2)  # nor after an escaped quote
    assert json_too_deep(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize(
    ("body", "has_nul"),
    [
        (rb'{"title": "a\u0000b"}', True),
        (rb'{"title": "a\\u0000b"}', False),  # an escaped backslash, then the text "u0000"
        (rb'{"title": "a\\\u0000b"}', True),
        (rb'{"title": "u0000"}', False),
    ],
)
def test_an_escaped_nul_is_found_exactly(body: bytes, has_nul: bool) -> None:
    assert json_has_nul(body) is has_nul
    if has_nul:
        with pytest.raises(Problem) as refused:
            loads_limited(body)
        assert refused.value.status_code == 422


def test_loads_limited_answers_problems_never_recursion_errors() -> None:
    assert loads_limited(b'{"users": []}') == {"users": []}
    with pytest.raises(Problem) as deep:
        loads_limited(b"[" * 100_000 + b"]" * 100_000)
    assert deep.value.status_code == 422 and deep.value.type.endswith("too-deeply-nested")
    for bad in (b"{not json", b"\xff\xfe", b""):
        with pytest.raises(Problem) as malformed:
            loads_limited(bad)
        assert malformed.value.status_code == 400


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "@@@",
        _b64(b"not json"),
        _b64(b'["nope"]'),
        _b64(b"[1]"),
        _b64(b'["a","b"]'),
        _b64(b"[" * 5000 + b"]" * 5000),
        _b64(b'{"a": 1}'),
    ],
)
def test_every_malformed_cursor_is_a_400(cursor: str) -> None:
    with pytest.raises(Problem) as raised:
        decode_id_cursor(cursor)
    assert raised.value.status_code == 400


@pytest.mark.parametrize("value", ["²", "-1", "1.5", str(2**63), "١٢"])
def test_a_number_cursor_is_ascii_digits_within_a_database_integer(value: str) -> None:
    with pytest.raises(Problem):
        decode_int_cursor(encode_cursor(value))
    assert decode_int_cursor(encode_cursor(7)) == 7
    assert decode_int_cursor(None) is None


class _Patch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Omittable[str] = Field(None, min_length=1)
    enabled: Omittable[StrictBool] = None
    overlap_seconds: StrictInt = 0
    email: str | None = None
    since: Timestamp | None = None
    day: Day | None = None


def test_omittable_fields_may_be_left_out_but_not_sent_as_null() -> None:
    assert _Patch.model_validate({}).model_dump(exclude_unset=True) == {}
    assert _Patch.model_validate({"email": None}).email is None  # a clearable field
    for field in ("name", "enabled"):
        with pytest.raises(ValidationError):
            _Patch.model_validate({field: None})
    schema = _Patch.model_json_schema()["properties"]
    assert "anyOf" not in schema["name"] and schema["name"]["type"] == "string"
    assert {"type": "null"} in schema["email"]["anyOf"]


@pytest.mark.parametrize(
    "body",
    [
        {"overlap_seconds": False},
        {"overlap_seconds": "5"},
        {"enabled": 0},
        {"enabled": "yes"},
        {"since": 0},
        {"since": "0.5"},
        {"since": "2026-01-01T00:00:00"},
        {"day": 0},
    ],
)
def test_booleans_numbers_and_times_are_not_coerced(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _Patch.model_validate(body)


def test_rfc3339_values_are_read() -> None:
    parsed = _Patch.model_validate({"since": "2026-01-01T10:00:00+02:00", "day": "2026-01-31"})
    assert parsed.since is not None and parsed.since.utcoffset() is not None
    assert parsed.day is not None and parsed.day.isoformat() == "2026-01-31"


# --- the gateway app, in process --------------------------------------------------------------


async def test_no_token_is_401_before_the_body_is_read(gateway: ServiceClient) -> None:
    garbage = {"content-type": "application/json"}
    for method, path in (
        ("POST", "/v1/clients"),
        ("POST", "/v1/webhooks"),
        ("POST", "/internal/events"),
        ("PATCH", f"/v1/webhooks/{uuid.uuid4()}"),
    ):
        answer = await gateway.request(method, path, content=b"{not json", headers=garbage)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_a_valid_caller_gets_the_body_parsed_as_before(
    gateway: ServiceClient,
    bearer: Callable[[Principal], dict[str, str]],
    user: Callable[..., Principal],
) -> None:
    admin = bearer(user(uuid.uuid4(), "district_admin"))
    headers = {**admin, "content-type": "application/json"}
    unreadable = await gateway.post("/v1/clients", content=b"{not json", headers=headers)
    assert unreadable.status_code == 400
    deep = await gateway.post("/v1/clients", content=b"[" * 5000 + b"]" * 5000, headers=headers)
    assert (
        deep.status_code == 422
        and deep.json()["type"] == "https://pathwise.dev/problems/too-deeply-nested"
    )
    # PostgreSQL text cannot hold NUL: refused here rather than a 500 in a service.
    nul = await gateway.post("/v1/clients", content=rb'{"name": "a\u0000"}', headers=headers)
    assert (
        nul.status_code == 422
        and nul.json()["type"] == "https://pathwise.dev/problems/nul-character"
    )
    created = await gateway.post(
        "/v1/clients", json={"name": "sis", "scopes": ["roster:read"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    listed = await gateway.get("/v1/clients", params={"cursor": _b64(b'["x"]')}, headers=admin)
    assert (
        listed.status_code == 400
        and listed.json()["type"] == "https://pathwise.dev/problems/invalid-cursor"
    )
