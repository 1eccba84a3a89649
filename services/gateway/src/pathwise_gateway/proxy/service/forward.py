"""Forwarding one call to its service: a fresh internal token naming the caller, the request id,
and the headers that matter both ways. A service that does not answer is a 503 (or 504 on a
timeout) with ``Retry-After``; never a 500, never a hang (the client's timeouts are explicit).
What counts against the upstream's circuit breaker is decided in ``breaker.py``.

The call goes out on the upstream's plain aiohttp session (``Upstream.session``): a forwarded call
is bytes and a few headers both ways, and httpx's request and response models, cookie handling,
event hooks and retry transport cost more per call than the rest of the forwarding together. The
retry rule is the shared clients' (``pathwise_shared.http``): idempotent methods only, on a
connection that could not be made or was dropped, and on a 502/503/504 answer; twice, after 50
and 100 ms. On the "httpx" transport setting (kept for comparison) the httpx client is used.

A streamed upload (``edge/domain/body_limits.py``) goes out as its chunks arrive: a
:class:`BodyStream` hands the caller's body to the client library (chunked transfer encoding),
so the gateway holds one chunk at a time. It is sent once (never retried: the bytes are gone),
and the service's answer may take ``Upstream.upload_timeout_seconds``. When the caller's side
fails (the body grew past its limit, or the caller went away), that is the caller's 400, not the
service's failure: no 503 and no mark against the breaker (the body limit answers 413 in its
place when the limit was the cause; a caller who left gets nothing).

A download is passed on the same way in the other direction: a successful answer that is not
JSON (a portfolio file, a credential's VC-JWT: ``streams_answer``) comes back as an
:class:`UpstreamBody` the caller's response reads chunk by chunk, so the gateway never holds the
whole file; the upstream response stays open until the caller has it all or has gone, and is
then released (its connection closed if the body was not read to the end). JSON answers are
read whole as before: the audit log reads the learners they name, idempotency keeps them, and
they are small. A forward asked not to stream (``stream_files=False``: the aggregates, an
idempotent POST) reads every answer whole.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import httpx
from asgi_correlation_id import correlation_id
from multidict import CIMultiDictProxy
from yarl import URL

from pathwise_gateway.proxy.service.upstreams import Upstream, failure_reason
from pathwise_shared.answer_learners import LEARNERS_HEADER, parse_header_line
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.http import IDEMPOTENT_METHODS
from pathwise_shared.problems import BadRequest, NotFound, Problem, ServiceUnavailable

__all__ = [
    "REQUEST_HEADERS",
    "RESPONSE_HEADERS",
    "BodyStream",
    "Forwarded",
    "Forwarder",
    "UpstreamBody",
    "streams_answer",
]

REQUEST_HEADERS = (
    "content-type",
    "accept",
    "accept-language",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "idempotency-key",
    "prefer",
)
RESPONSE_HEADERS = (
    "content-type",
    "etag",
    "location",
    "retry-after",
    "last-modified",
    "cache-control",
    "link",
    "content-language",
    "preference-applied",
    "idempotency-key",
    "deprecation",
    "sunset",
    "content-location",
    "idempotent-replayed",
    "x-total-count",
    # Downloads name their file: a portfolio file (never rendered inline, docs/pathways.md
    # "Portfolio") and a credential's VC-JWT.
    "content-disposition",
)
_RESPONSE_HEADERS = frozenset(RESPONSE_HEADERS)
_RETRY_STATUSES = frozenset({502, 503, 504})
_RETRIES = 2
_BACKOFF_SECONDS = 0.05
# No connection, or one the service dropped before answering: the request did not run (or an
# idempotent one may safely run again).
_NOT_CONNECTED = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)
# RFC 3986 pchar (unreserved, sub-delims, ":" and "@") and the segment separator.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class UpstreamBody:
    """An upstream answer's body as it arrives (a download), read once by the caller's response.

    ``aclose`` releases the upstream response; the caller's response calls it when it is done,
    whether the caller got everything, went away or the upstream failed half-way."""

    def __init__(self, chunks: AsyncIterator[bytes], close: Callable[[], Awaitable[None]]) -> None:
        self._chunks = chunks
        self._close = close
        self.closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            await self._close()


@dataclass(frozen=True)
class Forwarded:
    status: int
    headers: dict[str, str]
    body: bytes
    # The learners the service says its answer shows (``pathwise_shared.answer_learners``),
    # for the audit log; the header itself is not passed on.
    learners: tuple[uuid.UUID, ...] = ()
    # A streamed answer (``streams_answer``): ``body`` is then empty.
    stream: UpstreamBody | None = None


# What the gateway reads whole whatever it is: JSON (the audit log may read the learners it
# names) and problem details. Anything else successful is a file and is streamed.
_JSON_TYPES = ("application/json", "application/problem+json")


def streams_answer(method: str, status: int, headers: Mapping[str, str]) -> bool:
    """Whether an upstream answer is passed on as it arrives rather than read whole: a
    successful answer with a body that is not JSON (``+json`` types included)."""
    if method == "HEAD" or not 200 <= status < 300 or status in (204, 205):
        return False
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    return bool(media_type) and not (media_type in _JSON_TYPES or media_type.endswith("+json"))


class BodyStream:
    """The caller's body as it arrives, passed on chunk by chunk; remembers why it stopped early,
    so a failure of the caller's side is not taken for the service's."""

    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self._chunks = chunks
        self.error: Exception | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._pass_on()

    async def _pass_on(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                if chunk:
                    yield chunk
        except Exception as exc:
            self.error = exc
            raise


Body = bytes | BodyStream


def _caller_failed(body: Body) -> BadRequest | None:
    """The caller's 400 when a streamed body stopped short (the client library reports that as
    a connection error of its own), else None: the failure is the service's."""
    if isinstance(body, BodyStream) and body.error is not None:
        return BadRequest("The request body ended before it was complete.")
    return None


class GatewayTimeout(Problem):
    status = 504
    slug = "upstream-timeout"


class BadGateway(Problem):
    status = 502
    slug = "upstream-error"


class Forwarder:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._tokens: dict[Principal, tuple[float, str]] = {}

    def internal_authorization(self, principal: Principal) -> str:
        """A fresh internal token, reused only while it has most of its life left."""
        now = time.monotonic()
        hit = self._tokens.get(principal)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = f"Bearer {issue_internal_token(principal, self._secret, self._ttl)}"
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[principal] = (now + self._ttl / 2, value)
        return value

    async def forward(
        self,
        upstream: Upstream,
        principal: Principal,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: Body,
        stream_files: bool = False,
    ) -> Forwarded:
        """The service's answer; with ``stream_files``, a download's body is left upstream
        (``Forwarded.stream``) for the caller's response to pass on and close."""
        breaker = upstream.breaker
        if not breaker.allow():
            raise _unavailable(upstream)
        out = {k: v for k, v in headers.items() if k in REQUEST_HEADERS}
        out["authorization"] = self.internal_authorization(principal)
        # The path arrives percent-decoded: encode it again, so what the service receives is
        # what the caller sent (a "%25" stays a percent sign, a "?" cannot start a query).
        url = quote(path, safe=_PATH_SAFE) + (f"?{query}" if query else "")
        if upstream.session is None:
            status, got, content, stream = await self._send_httpx(
                upstream, method, url, out, body, stream_files
            )
        else:
            request_id = correlation_id.get()
            if request_id:
                out["x-request-id"] = request_id
            status, got, content, stream = await self._send(
                upstream, method, url, out, body, stream_files
            )
        # Only an answer saying the service itself is unavailable counts against the breaker; an
        # application 500 is this request's 502 and proves the service is up (breaker.py).
        breaker.record_answer(status, got, content)
        if status >= 500:
            if status in (503, 504):
                raise _unavailable(upstream, got.get("retry-after", "5"))
            raise BadGateway(f"The {upstream.name} service failed; quote the request id.")
        kept: dict[str, str] = {}
        learners: list[uuid.UUID] = []
        for name, value in got.items():
            lowered = name.lower()
            if lowered in _RESPONSE_HEADERS:
                # A repeated header (Link) is one comma-joined value, as HTTP allows.
                kept[name] = f"{kept[name]}, {value}" if name in kept else value
            elif lowered == LEARNERS_HEADER:
                learners.extend(parse_header_line(value))
        length = got.get("content-length")
        if stream is not None and length is not None and "content-encoding" not in got:
            # The caller learns the size up front (a progress bar; a body cut short is seen as
            # cut short). Not when the client library decodes a compressed body on the way.
            kept["content-length"] = length
        return Forwarded(status, kept, content, tuple(dict.fromkeys(learners)), stream)

    async def _send(
        self,
        upstream: Upstream,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Body,
        stream_files: bool,
    ) -> tuple[int, Mapping[str, str], bytes, UpstreamBody | None]:
        session = upstream.session
        assert session is not None
        breaker = upstream.breaker
        streamed = isinstance(body, BodyStream)
        retries = _RETRIES if method in IDEMPOTENT_METHODS and not streamed else 0
        timeout = (
            aiohttp.ClientTimeout(
                total=None,
                connect=min(upstream.timeout_seconds, 2.0),
                sock_read=upstream.upload_timeout_seconds,
            )
            if streamed
            else session.timeout
        )
        # Already encoded (above): sent exactly so, never re-quoted or dot-normalised by yarl.
        target = URL(upstream.base_url + url, encoded=True)
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                try:
                    response = await session.request(
                        method,
                        target,
                        headers=headers,
                        data=body or None,
                        allow_redirects=False,
                        timeout=timeout,
                    )
                    got: CIMultiDictProxy[str] = response.headers
                    status = response.status
                    if stream_files and streams_answer(method, status, got):
                        return status, got, b"", _aiohttp_body(response)
                    try:
                        content = await response.read()
                    finally:
                        response.release()
                except Exception as exc:
                    if (failed := _caller_failed(body)) is not None:
                        raise failed from exc
                    raise
            except _NOT_CONNECTED as exc:
                if not last:
                    await asyncio.sleep(_BACKOFF_SECONDS * 2**attempt)
                    continue
                breaker.record_failure(failure_reason(exc))
                raise _unavailable(upstream) from exc
            except TimeoutError as exc:  # the service took the connection but not its time
                breaker.record_failure(failure_reason(exc))
                raise GatewayTimeout(
                    f"The {upstream.name} service did not answer in time.",
                    headers={"Retry-After": str(breaker.retry_after())},
                ) from exc
            except (aiohttp.InvalidURL, ValueError, UnicodeError) as exc:
                # Never a 500: a URL that cannot be sent names nothing the service has.
                raise NotFound("No such operation.", slug="no-such-operation") from exc
            except aiohttp.ClientError as exc:
                breaker.record_failure(failure_reason(exc))
                raise _unavailable(upstream) from exc
            if status in _RETRY_STATUSES and not last:
                await asyncio.sleep(_BACKOFF_SECONDS * 2**attempt)
                continue
            return status, got, content, None
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send_httpx(
        self,
        upstream: Upstream,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Body,
        stream_files: bool,
    ) -> tuple[int, Mapping[str, str], bytes, UpstreamBody | None]:
        breaker = upstream.breaker
        streamed = isinstance(body, BodyStream)
        try:
            request = upstream.client.build_request(
                method,
                url,
                headers=headers,
                content=body or None,
                timeout=httpx.Timeout(
                    upstream.upload_timeout_seconds, connect=min(upstream.timeout_seconds, 2.0)
                )
                if streamed
                else httpx.USE_CLIENT_DEFAULT,
            )
        except (httpx.InvalidURL, UnicodeError) as exc:
            # Never a 500: a URL httpx refuses to build names nothing the service has.
            raise NotFound("No such operation.", slug="no-such-operation") from exc
        try:
            try:
                response = await upstream.client.send(request, stream=True)
                if stream_files and streams_answer(method, response.status_code, response.headers):
                    return response.status_code, response.headers, b"", _httpx_body(response)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            except Exception as exc:
                if (failed := _caller_failed(body)) is not None:
                    raise failed from exc
                raise
        except httpx.ConnectTimeout as exc:
            # The request never reached the service: it is down, not slow. (httpx-aiohttp also
            # reports a refused or dropped connection as ConnectTimeout.)
            breaker.record_failure(failure_reason(exc))
            raise _unavailable(upstream) from exc
        except httpx.TimeoutException as exc:
            breaker.record_failure(failure_reason(exc))
            raise GatewayTimeout(
                f"The {upstream.name} service did not answer in time.",
                headers={"Retry-After": str(breaker.retry_after())},
            ) from exc
        except httpx.HTTPError as exc:
            breaker.record_failure(failure_reason(exc))
            raise _unavailable(upstream) from exc
        return response.status_code, response.headers, response.content, None


def _aiohttp_body(response: aiohttp.ClientResponse) -> UpstreamBody:
    async def close() -> None:
        # Read to the end: the connection goes back to the pool. Not (the caller went away, the
        # service stalled): it is closed, never reused with the rest of a body still in it.
        if response.content.at_eof():
            response.release()
        else:
            response.close()

    return UpstreamBody(response.content.iter_any().__aiter__(), close)


def _httpx_body(response: httpx.Response) -> UpstreamBody:
    return UpstreamBody(response.aiter_bytes().__aiter__(), response.aclose)


def _unavailable(upstream: Upstream, retry_after: str | None = None) -> ServiceUnavailable:
    """503 for a service that cannot answer now; ``Retry-After`` is the service's own when it
    gave one, else the time left before the breaker tries it again."""
    wait = retry_after if retry_after is not None else str(upstream.breaker.retry_after())
    return ServiceUnavailable(
        f"The {upstream.name} service is unavailable.", headers={"Retry-After": wait}
    )
