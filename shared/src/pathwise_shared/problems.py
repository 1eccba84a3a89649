"""RFC 9457 problem details: the one error shape of every Pathwise service.

Raise a :class:`Problem` (or a subclass) anywhere below a router; the handlers installed by
:func:`install_problem_handlers` turn it, request validation errors and unexpected exceptions into
``application/problem+json`` responses. An unexpected error never shows its stack trace to the
caller: it is logged with the request id, and the caller gets that id to quote.
"""

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_shared.problem_types import PROBLEM_TYPE_BASE, lookup

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "BadRequest",
    "Conflict",
    "DatabaseUnavailable",
    "FieldError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "Problem",
    "ProblemDetail",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnexpectedErrorMiddleware",
    "UnprocessableContent",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger("pathwise.problems")


class FieldError(BaseModel):
    """One invalid or unknown field of a request."""

    field: str = Field(description="where: `body.name`, `query.limit`, `path.learner_id`")
    message: str
    type: str = Field(description="the kind of error (`missing`, `extra_forbidden`, …)")


def _absent_not_null(schema: dict[str, Any]) -> None:
    # An optional member is left out, not null: no ``"default": null`` on a non-nullable type.
    for member in schema.get("properties", {}).values():
        if member.get("default", 0) is None:
            del member["default"]


class ProblemDetail(BaseModel):
    """The documented shape of every error body (RFC 9457; extension members may follow).

    The optional members are left out when they say nothing, never sent as ``null``: the schema
    says "absent or a value", so a generated client does not type them as always present."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_absent_not_null)

    type: str = Field(
        "about:blank",
        description="the problem type: a URI whose page says what it means and what to do",
        json_schema_extra={"format": "uri"},
    )
    title: str = Field(description="the type's title: the same for every occurrence")
    status: int = Field(description="the HTTP status")
    detail: str | SkipJsonSchema[None] = Field(None, description="what happened this time")
    instance: str | SkipJsonSchema[None] = Field(None, description="the request's path")
    request_id: str | SkipJsonSchema[None] = Field(
        None, description="the request id (X-Request-ID): quote it when reporting a problem"
    )
    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        None, description="a validation error's fields (validation-error only)"
    )


_SLUG_JUNK = re.compile(r"[^a-z0-9-]+")


class Problem(Exception):
    """An error the caller can act on. Subclasses fix the status and a default title."""

    status: ClassVar[int] = 500
    slug: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        slug: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or "")
        self.status_code = status or self.status
        # A slug is one path segment of the type URI: anything else (a space from an object's
        # two-word name) is hyphenated, so the type stays a valid URI whatever the caller built.
        chosen = _SLUG_JUNK.sub("-", (slug or self.slug or "").lower()).strip("-") or None
        registered = lookup(chosen) if chosen else None
        # The registered title of the type (the same for every occurrence, as RFC 9457 asks).
        self.title = title or (
            registered.title if registered else HTTPStatus(self.status_code).phrase
        )
        self.detail = detail
        self.type = PROBLEM_TYPE_BASE + chosen if chosen else "about:blank"
        self.headers = dict(headers or {})
        self.extensions = extensions


class BadRequest(Problem):
    status = 400
    slug = "bad-request"


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("WWW-Authenticate", 'Bearer realm="pathwise"')
        super().__init__(detail, headers=headers, **kwargs)


class Forbidden(Problem):
    status = 403
    slug = "forbidden"


class NotFound(Problem):
    status = 404
    slug = "not-found"


class Conflict(Problem):
    status = 409
    slug = "conflict"


class PreconditionFailed(Problem):
    status = 412
    slug = "precondition-failed"


class PayloadTooLarge(Problem):
    status = 413
    slug = "payload-too-large"


class UnprocessableContent(Problem):
    status = 422
    slug = "unprocessable-content"


class PreconditionRequired(Problem):
    status = 428
    slug = "precondition-required"


class TooManyRequests(Problem):
    status = 429
    slug = "too-many-requests"


class ServiceUnavailable(Problem):
    status = 503
    slug = "service-unavailable"


DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(ServiceUnavailable):
    """The service's own database refuses or drops connections: try again shortly.

    Not a bug of the request, so not a 500; the gateway's breaker counts it as the service being
    unavailable (docs/gateway.md)."""

    slug = "database-unavailable"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Retry-After", str(DATABASE_RETRY_AFTER_SECONDS))
        super().__init__(
            detail or "The database is unavailable; try again shortly.",
            title=kwargs.pop("title", "Database Unavailable"),
            headers=headers,
            **kwargs,
        )


def problem_response(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    request_id = correlation_id.get()
    if request_id:
        body["request_id"] = request_id
    if extensions:
        body.update({k: v for k, v in extensions.items() if k not in body})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _field_path(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status_code,
        exc.title,
        detail=exc.detail,
        type_=exc.type,
        instance=request.url.path,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return problem_response(
            400,
            "Malformed JSON body",
            detail="The request body is not valid JSON.",
            type_=PROBLEM_TYPE_BASE + "malformed-json",
            instance=request.url.path,
        )
    fields = [
        FieldError(
            field=_field_path(err.get("loc", ())),
            message=str(err.get("msg", "invalid")),
            type=str(err.get("type", "invalid")),
        ).model_dump()
        for err in errors
    ]
    named = ", ".join(sorted({f["field"] for f in fields}))
    return problem_response(
        422,
        "Request validation failed",
        detail=f"Invalid or unknown fields: {named}" if named else "The request is invalid.",
        type_=PROBLEM_TYPE_BASE + "validation-error",
        instance=request.url.path,
        extensions={"errors": fields},
    )


async def _handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    phrase = HTTPStatus(exc.status_code).phrase
    return problem_response(
        exc.status_code,
        phrase,
        detail=detail if detail != phrase else None,
        instance=request.url.path,
        headers=exc.headers,
    )


Classifier = Callable[[BaseException], Problem | None]


class UnexpectedErrorMiddleware:
    """Turns an unhandled exception into a problem: a 500, logged with the request id, unless
    ``classify`` names it an outage (the database is down: 503 with ``Retry-After``).

    Sits inside the request-id middleware, so the id is known both to the log line and the body.
    It catches what escapes any route, dependency or inner middleware, so every place that opens
    a database connection (inside or outside the request's session) is covered by one rule.
    """

    def __init__(self, app: ASGIApp, classify: Classifier | None = None) -> None:
        self.app = app
        self.classify = classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            outage = self.classify(exc) if self.classify is not None else None
            if outage is not None:
                # Expected during an outage and repeated on every call: one line, no traceback.
                logger.warning(
                    "%s %s: %s (%s: %s)", scope.get("method"), scope.get("path"),
                    outage.title, type(exc).__name__, str(exc)[:200],
                )  # fmt: skip
            else:
                logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            if outage is not None:
                response = problem_response(
                    outage.status_code,
                    outage.title,
                    detail=outage.detail,
                    type_=outage.type,
                    instance=scope.get("path"),
                    headers=outage.headers,
                    extensions=outage.extensions,
                )
            else:
                response = problem_response(
                    500,
                    "Internal Server Error",
                    detail="An unexpected error occurred. Quote the request id when reporting it.",
                    type_=PROBLEM_TYPE_BASE + "internal-error",
                    instance=scope.get("path"),
                )
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring problem+json bodies for the given statuses."""
    return {
        status: {
            "model": ProblemDetail,
            "description": HTTPStatus(status).phrase,
            "content": {
                PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}
            },
        }
        for status in statuses
    }
