"""The roster upload's size limit, enforced before the body is spooled.

``POST /v1/roster/imports`` takes a multipart body that Starlette's parser spools to a temporary
file before the route runs; the service then checks the zip's size while copying it
(``service/imports.py``). That check comes after the disk was written: a direct caller declaring
or streaming many gigabytes would fill the disk first. So this middleware, for that one route,
answers 413 at once when ``Content-Length`` declares more than the limit, and counts a chunked
body as it streams, stopping it with 413 as soon as it passes the limit. The limit is
``PROFILES_IMPORT_MAX_UPLOAD_BYTES`` plus ``MULTIPART_ALLOWANCE`` for the form around the zip
(boundaries, part headers, the option fields), so any zip the service accepts gets through here
and the copy's exact check stays the judge of the zip itself.

Pure ASGI, installed innermost (inside the request id and security headers), deciding from the
method and path alone: it runs before routing and authentication, as the gateway's body limit
does, so a refused body is never read.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_shared.problem_types import PROBLEM_TYPE_BASE, lookup
from pathwise_shared.problems import problem_response

__all__ = ["MULTIPART_ALLOWANCE", "UPLOAD_PATH", "UploadLimitMiddleware"]

UPLOAD_PATH = "/v1/roster/imports"
# The multipart form around the zip: two boundaries per part, the parts' headers (a filename of
# a few hundred bytes at most) and three short option fields. Far below this.
MULTIPART_ALLOWANCE = 64 * 1024
_SLUG = "payload-too-large"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            # A malformed value is the HTTP server's to refuse; it never reaches an app as one.
            return int(value) if value.isdigit() else None
    return None


class UploadLimitMiddleware:
    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.limit = max_upload_bytes + MULTIPART_ALLOWANCE

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        registered = lookup(_SLUG)
        assert registered is not None  # registered in pathwise_shared.problem_types
        response = problem_response(
            413,
            registered.title,
            detail=f"The request body is larger than {self.limit} bytes (a roster zip may be "
            f"{self.max_upload_bytes} bytes, and the form around it "
            f"{MULTIPART_ALLOWANCE}); nothing was kept.",
            type_=PROBLEM_TYPE_BASE + _SLUG,
            instance=scope.get("path"),
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != UPLOAD_PATH:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
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
                if received > self.limit:
                    # The parser sees the client gone (raising here would reach the route as a
                    # body it cannot parse, a 400); what it spooled is dropped with it, and the
                    # answer is ours.
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's answer to the "disconnect"; the 413 below replaces it
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
            await self._refuse(scope, receive, send)
