"""Input hardening shared by every service: what a request body may carry.

- ``Omittable[T]``: a PATCH field that may be left out (``None`` in Python means "not given")
  but not sent as an explicit ``null``: pydantic rejects ``null`` with a 422 and the OpenAPI
  shows the field as non-nullable. Fields a caller may clear stay ``T | None``.
- ``Day``: an RFC 3339 full-date string (``2026-01-31``), never a number.
- ``Timestamp``: an RFC 3339 date-time string with an offset. pydantic alone would also read a
  number (``0``, ``0.5``) as seconds since the epoch, which is never what a caller meant.
- ``StrictInt`` / ``StrictBool`` / ``StrictNumber``: booleans are not numbers and numbers are
  not booleans (``false`` must not become ``0`` seconds).
- JSON limits: ``json_too_deep`` and ``loads_limited`` refuse documents nested deeper than
  ``MAX_JSON_DEPTH`` before the parser recurses on them (a deep document is a ``RecursionError``,
  i.e. a 500, in ``json.loads`` and in pydantic); ``JsonDepthMiddleware`` applies the limit to
  every JSON request body before any route reads it.
"""

import json
import re
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    StrictBool,
    StrictFloat,
    StrictInt,
)
from pydantic_core import core_schema
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_shared.problems import BadRequest, UnprocessableContent, problem_response

__all__ = [
    "MAX_JSON_DEPTH",
    "Day",
    "JsonDepthMiddleware",
    "NotNull",
    "Omittable",
    "StrictBody",
    "StrictBool",
    "StrictInt",
    "StrictNumber",
    "Timestamp",
    "json_has_nul",
    "json_too_deep",
    "loads_limited",
    "too_deep_problem",
]

T = TypeVar("T")

MAX_JSON_DEPTH = 32


class StrictBody(BaseModel):
    """The base of every request body: an unknown field is a 422, never silently dropped (a
    misspelt ``acommodations`` must not look like success)."""

    model_config = ConfigDict(extra="forbid")


class NotNull:
    """Annotation that drops ``None`` from what a field accepts, keeping its ``None`` default.

    pydantic does not validate defaults, so a field declared ``Annotated[T | None, NotNull()] =
    None`` is ``None`` when omitted, and an explicit ``null`` fails validation like any other
    value of the wrong type (422). The JSON Schema loses the ``null`` branch accordingly.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        while schema["type"] == "nullable":
            schema = schema["schema"]
        return schema


Omittable = Annotated[T | None, NotNull()]

# RFC 3339 section 5.6 date-time: full date, "T" (or space, per its note), full time, offset.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: object) -> object:
    if isinstance(value, datetime):
        return value  # a Python caller (tests, internal code) already has the real thing
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-01-01T00:00:00Z")


Timestamp = Annotated[datetime, BeforeValidator(_rfc3339)]

_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _full_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _FULL_DATE.fullmatch(value):
        return value
    raise ValueError("must be an RFC 3339 full-date, e.g. 2026-01-31")


# A calendar date as a "YYYY-MM-DD" string (pydantic alone also reads 0 as 1970-01-01).
Day = Annotated[date, BeforeValidator(_full_date)]
# A JSON number that is not a boolean (pydantic's strict float still accepts integers).
StrictNumber = StrictFloat


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_too_deep(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` opens more than ``max_depth`` nested arrays/objects, without parsing it.

    Brackets inside strings do not count. Linear in the body size; a body with fewer brackets
    than the limit is answered without scanning.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    depth = 0
    for found in _BRACKET.finditer(_STRING.sub(b"", body)):
        if found.group() in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


# An escaped NUL (``\u0000``) in a JSON string: valid JSON, but PostgreSQL text cannot hold it
# (a 500 deep in a service), and no field of ours means it. An escaped backslash before it does not
# count (``\\u0000`` is a backslash and the text "u0000").
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def json_has_nul(body: bytes) -> bool:
    return b"\\u0000" in body and _NUL.search(body) is not None


def nul_problem() -> UnprocessableContent:
    return UnprocessableContent(
        "Text may not contain the NUL character (\\u0000).", slug="nul-character"
    )


def too_deep_problem(max_depth: int = MAX_JSON_DEPTH) -> UnprocessableContent:
    return UnprocessableContent(
        f"The JSON body is too deeply nested (at most {max_depth} levels).",
        slug="too-deeply-nested",
    )


def loads_limited(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for untrusted bytes: 400 when it is not JSON, 422 when too deeply nested."""
    refusal = _refusal(body, max_depth)
    if refusal is not None:
        raise refusal
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BadRequest("The body is not valid JSON.", slug="malformed-json") from exc


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    # FastAPI parses a body without a content type as JSON too.
    return True


def _refusal(body: bytes, max_depth: int) -> UnprocessableContent | None:
    if json_too_deep(body, max_depth):
        return too_deep_problem(max_depth)
    if json_has_nul(body):
        return nul_problem()
    return None


class JsonDepthMiddleware:
    """422 for a JSON request body nested deeper than ``max_depth`` or holding an escaped NUL,
    before any route parses it.

    The body is buffered when the route first reads it (its size is bounded by the body size
    limit outside this middleware; authentication, outside too, has run by then) and handed on
    unchanged, so signatures over the raw bytes still verify. A refused body reaches the route as
    a disconnect; the route's answer to that is dropped and the 422 sent instead.
    """

    def __init__(self, app: ASGIApp, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        pending: list[Message] | None = None
        refusal: UnprocessableContent | None = None
        started = False

        async def read_all() -> list[Message]:
            chunks: list[bytes] = []
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    # A disconnect (or a refusal outside us): hand on what was read, then it.
                    return [{"type": "http.request", "body": b"".join(chunks), "more_body": True},
                            message]  # fmt: skip
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    return [{"type": "http.request", "body": b"".join(chunks)}]

        async def checked_receive() -> Message:
            nonlocal pending, refusal
            if pending is None:
                pending = await read_all()
                if len(pending) == 1:
                    refusal = _refusal(pending[0]["body"], self.max_depth)
            if refusal is not None:
                return {"type": "http.disconnect"}
            if pending:
                return pending.pop(0)
            return await receive()

        async def checked_send(message: Message) -> None:
            nonlocal started
            if refusal is not None and not started:
                return  # the route's answer to a body it was not given
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, checked_receive, checked_send)
        except Exception:
            if refusal is None:
                raise
        if refusal is not None and not started:
            response = problem_response(
                refusal.status_code,
                refusal.title,
                detail=refusal.detail,
                type_=refusal.type,
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
