"""Request body limits as one pure-ASGI middleware: 413 before the body is read when
``Content-Length`` declares too much, and while it streams when a chunked body passes the limit.

The limit is decided from the method and path alone (``limit_for``; None: no limit here), so it
runs before routing and authentication and a refused body is never read. A body that passes the
limit mid-stream is cut: the app sees the client gone (raising inside ``receive`` would reach it
as a body it cannot parse, a 400), whatever it answers to that is dropped, and the 413 is sent in
its place. Used by the gateway (every route, uploads with a larger limit) and by profiles (the
roster upload, before Starlette spools it to disk).
"""

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_shared.problem_types import PROBLEM_TYPE_BASE
from pathwise_shared.problems import problem_response

__all__ = ["BodyLimitMiddleware", "LimitFor"]

# (method, path) → the largest body accepted there, or None for no limit at this layer.
LimitFor = Callable[[str, str], int | None]


def _declared_length(scope: Scope) -> int | None:
    """The declared length; -1 for a value that is not a length."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else -1
    return None


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        limit_for: LimitFor,
        describe: Callable[[int], str] | None = None,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.describe = describe or (
            lambda limit: f"The request body is larger than {limit} bytes."
        )

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            "Content Too Large",
            detail=self.describe(limit),
            type_=PROBLEM_TYPE_BASE + "body-too-large",
            instance=scope.get("path"),
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared < 0:
            response = problem_response(
                400,
                "Bad Request",
                detail="Invalid Content-Length.",
                type_=PROBLEM_TYPE_BASE + "bad-request",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
            return
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send, limit)
            return
        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's answer to the "disconnect": the 413 below replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # Past the limit, whatever the app raised is its reaction to the "disconnect".
            if not over:
                raise
        if over and not started:
            await self._too_large(scope, receive, send, limit)
