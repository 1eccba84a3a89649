"""Request body limit: 413 before the body is read when ``Content-Length`` says too much, and
while reading when a chunked body grows past the limit.

The limit is per route (``edge/domain/body_limits.py``): the uploads the gateway streams to their
service may send up to ``upload_bytes``, everything else ``max_bytes``. It is decided from the
method and path alone, before routing and authentication, so a declared size is refused without
reading a byte; a streamed body is counted as the proxy passes it on, never held.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_gateway.edge.domain.body_limits import body_limit
from pathwise_shared.problem_types import PROBLEM_TYPE_BASE
from pathwise_shared.problems import problem_response

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = max_bytes if upload_bytes is None else upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(
            scope["method"], scope["path"], default=self.max_bytes, upload=self.upload_bytes
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit or declared < 0:
                    response = problem_response(
                        413 if declared > 0 else 400,
                        "Content Too Large" if declared > 0 else "Bad Request",
                        detail=f"The request body is larger than {limit} bytes."
                        if declared > 0
                        else "Invalid Content-Length.",
                        type_=PROBLEM_TYPE_BASE
                        + ("body-too-large" if declared > 0 else "bad-request"),
                        instance=scope.get("path"),
                    )
                    await response(scope, receive, send)
                    return
        received = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raising here would reach the app as "cannot parse the body" (400): the
                    # app sees a disconnect instead, and we answer 413 in its place.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            response = problem_response(
                413,
                "Content Too Large",
                detail=f"The request body is larger than {limit} bytes.",
                type_=PROBLEM_TYPE_BASE + "body-too-large",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
