"""Security headers on every response (a pure ASGI middleware; see docs/gateway.md).

Every answer carries ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY`` and a Content Security Policy whose ``frame-ancestors 'none'`` forbids
framing (clickjacking). API answers get the strictest policy (``default-src 'none'``, ``sandbox``: a
portfolio file a browser opens anyway runs nothing): a JSON
body never needs to load anything. The interactive docs get a policy that lets Swagger UI and
ReDoc load their scripts, styles and fonts from their CDNs (and run FastAPI's inline start-up
script), and nothing else. Every answer of the public API (``/v1`` and the OneRoster rostering
API) is ``Cache-Control: no-store``: all of it is about learners or credentials, so no browser, proxy or disk cache may keep it; an explicit
``Cache-Control`` that already says ``no-store`` is kept as it is (it can only be as strict).
``Strict-Transport-Security`` is sent only in production, where TLS is certain.

The header lists are built once; per response the work is one pass over the headers (ours
replace any of the same name, e.g. an upstream's, so none is doubled).
"""

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_shared.access import ONEROSTER_BASE

__all__ = ["API_CSP", "DOCS_CSP", "HSTS", "SecurityHeadersMiddleware"]

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
# What fastapi.openapi.docs pages load: Swagger UI (jsdelivr, an inline start-up script, data:
# images, the favicon from fastapi.tiangolo.com, calls to this origin for "Try it out") and ReDoc
# (jsdelivr, Google Fonts, inline styles, a blob: worker).
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; "
    "worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"

_CACHE_CONTROL = b"cache-control"
_NO_STORE = b"no-store"
Headers = list[tuple[bytes, bytes]]


class SecurityHeadersMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts: bool = False,
        docs_paths: Iterable[str | None] = (),
        no_store_prefixes: Iterable[str] = ("/v1", ONEROSTER_BASE),
    ) -> None:
        self.app = app
        common: Headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if hsts:
            common.append((b"strict-transport-security", HSTS.encode()))
        csp = b"content-security-policy"
        self._api: Headers = [*common, (csp, API_CSP.encode())]
        self._docs: Headers = [*common, (csp, DOCS_CSP.encode())]
        # Ours win over any header of the same name (only one of each goes out).
        self._ours = frozenset(name for name, _ in self._api)
        self._docs_paths = frozenset(p for p in docs_paths if p)
        self._prefixes = frozenset(no_store_prefixes)
        self._prefixes_slash = tuple(p + "/" for p in self._prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        ours = self._docs if path in self._docs_paths else self._api
        no_store = path in self._prefixes or path.startswith(self._prefixes_slash)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(message.get("headers", ()), ours, no_store)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(
        self, raw: Iterable[tuple[bytes, bytes]], ours: Headers, no_store: bool
    ) -> Headers:
        headers: Headers = []
        cache_control = b""
        for name, value in raw:
            lowered = name.lower()
            if lowered in self._ours:
                continue
            if no_store and lowered == _CACHE_CONTROL:
                cache_control = value
                continue
            headers.append((name, value))
        headers.extend(ours)
        if no_store:
            kept = _NO_STORE in cache_control.lower()
            headers.append((_CACHE_CONTROL, cache_control if kept else _NO_STORE))
        return headers
