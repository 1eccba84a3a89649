"""Request body limit: 413 before the body is read when ``Content-Length`` says too much, and
while reading when a chunked body grows past the limit."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_shared.problems import PayloadTooLarge, problem_response

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than {self.max_bytes} bytes.", slug="body-too-large"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes or declared < 0:
                    response = problem_response(
                        413 if declared > 0 else 400,
                        "Content Too Large" if declared > 0 else "Bad Request",
                        detail=f"The request body is larger than {self.max_bytes} bytes."
                        if declared > 0
                        else "Invalid Content-Length.",
                        type_="/problems/body-too-large"
                        if declared > 0
                        else "/problems/bad-request",
                        instance=scope.get("path"),
                    )
                    await response(scope, receive, send)
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, counting_receive, send)
