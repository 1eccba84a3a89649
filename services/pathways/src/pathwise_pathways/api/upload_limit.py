"""The portfolio upload's size limit, enforced before the body is spooled.

``POST /v1/learners/{id}/portfolio`` takes a multipart body that Starlette's parser spools to a
temporary file before the route runs; the route then checks the file's size for its kind. A
caller declaring or streaming far more would fill the disk first, so the shared body-limit
middleware answers 413 at once for that route past the largest per-kind limit plus the form
around the file (the same arrangement as profiles' roster upload).
"""

import re

from starlette.middleware import Middleware

from pathwise_shared.body_limit import BodyLimitMiddleware

__all__ = ["MULTIPART_ALLOWANCE", "portfolio_upload_limit"]

# The form around the file: boundaries, part headers and the text fields (a 20,000-character
# body at most, up to four UTF-8 bytes each).
MULTIPART_ALLOWANCE = 128 * 1024
_UPLOAD = re.compile(r"/v1/learners/[^/]+/portfolio")


def portfolio_upload_limit(largest_file: int) -> Middleware:
    limit = largest_file + MULTIPART_ALLOWANCE

    def limit_for(method: str, path: str) -> int | None:
        return limit if method == "POST" and _UPLOAD.fullmatch(path) else None

    def describe(_limit: int) -> str:
        return (
            f"The request body is larger than {limit} bytes (the largest portfolio file may be "
            f"{largest_file} bytes); nothing was kept."
        )

    return Middleware(BodyLimitMiddleware, limit_for=limit_for, describe=describe)
