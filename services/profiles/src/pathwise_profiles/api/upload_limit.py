"""The roster upload's size limit, enforced before the body is spooled.

``POST /v1/roster/imports`` takes a multipart body that Starlette's parser spools to a temporary
file before the route runs; the service then checks the zip's size while copying it
(``service/imports.py``). That check comes after the disk was written: a direct caller declaring
or streaming many gigabytes would fill the disk first. So the shared body-limit middleware
(``pathwise_shared.body_limit``), for that one route, answers 413 at once when ``Content-Length``
declares more than the limit, and counts a chunked body as it streams. The limit is
``PROFILES_IMPORT_MAX_UPLOAD_BYTES`` plus ``MULTIPART_ALLOWANCE`` for the form around the zip
(boundaries, part headers, the option fields), so any zip the service accepts gets through here
and the copy's exact check stays the judge of the zip itself.
"""

from starlette.middleware import Middleware

from pathwise_shared.body_limit import BodyLimitMiddleware

__all__ = ["MULTIPART_ALLOWANCE", "UPLOAD_PATH", "upload_limit"]

UPLOAD_PATH = "/v1/roster/imports"
# The multipart form around the zip: two boundaries per part, the parts' headers (a filename of
# a few hundred bytes at most) and three short option fields. Far below this.
MULTIPART_ALLOWANCE = 64 * 1024


def upload_limit(max_upload_bytes: int) -> Middleware:
    """The middleware bounding the roster upload (no other route) to the zip's limit."""
    limit = max_upload_bytes + MULTIPART_ALLOWANCE

    def limit_for(method: str, path: str) -> int | None:
        return limit if method == "POST" and path == UPLOAD_PATH else None

    def describe(_limit: int) -> str:
        return (
            f"The request body is larger than {limit} bytes (a roster zip may be "
            f"{max_upload_bytes} bytes, and the form around it {MULTIPART_ALLOWANCE}); "
            "nothing was kept."
        )

    return Middleware(BodyLimitMiddleware, limit_for=limit_for, describe=describe)
