"""Calls from one service to another, as a principal, with upstream errors mapped to problems."""

import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.http import create_http_client
from pathwise_shared.problem_types import slug_of
from pathwise_shared.problems import Problem, ServiceUnavailable

__all__ = ["SchoolDirectory", "ServiceCaller", "ServiceCallers", "system_principal"]


def system_principal(job: str) -> Principal:
    """Our own background work (relays, replanning): not a user, not tied to a request."""
    return Principal(subject=f"system:{job}", kind="system")


class ServiceCaller:
    """Wraps a shared ``httpx.AsyncClient`` for one upstream service."""

    def __init__(
        self, service: str, client: httpx.AsyncClient, secret: str, ttl_seconds: int = 60
    ) -> None:
        self.service = service
        self.client = client
        self._secret = secret
        self._ttl = ttl_seconds
        self._tokens: dict[Principal, tuple[float, str]] = {}

    def headers(self, principal: Principal) -> dict[str, str]:
        """The internal token of ``principal``: minted once and reused while it has more than
        half its life left (signing one per call cost more than the rest of a cached call)."""
        now = time.monotonic()
        hit = self._tokens.get(principal)
        if hit is None or hit[0] <= now:
            token = f"Bearer {issue_internal_token(principal, self._secret, self._ttl)}"
            if len(self._tokens) >= 10_000:
                self._tokens.clear()
            hit = self._tokens[principal] = (now + self._ttl / 2, token)
        return {"Authorization": hit[1]}

    async def request(
        self, method: str, path: str, principal: Principal, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(principal), **kwargs.pop("headers", {})}
        try:
            return await self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"The {self.service} service did not answer.", headers={"Retry-After": "5"}
            ) from exc

    async def json(self, method: str, path: str, principal: Principal, **kwargs: Any) -> Any:
        """The JSON body of a 2xx answer; a 4xx becomes the same problem here, a 5xx a 503."""
        return self.answer(await self.request(method, path, principal, **kwargs))

    def answer(self, response: httpx.Response) -> Any:
        """What :meth:`json` makes of a response (for callers that look at it first, e.g. the
        gateway's circuit breaker, which counts some answers and not others)."""
        if response.status_code >= 500:
            raise ServiceUnavailable(
                f"The {self.service} service failed ({response.status_code}).",
                headers={"Retry-After": "5"},
            )
        if response.status_code >= 400:
            body = _problem_body(response)
            problem_type = str(body.get("type", ""))
            raise Problem(
                body.get("detail") or body.get("title"),
                status=response.status_code,
                title=body.get("title"),
                slug=slug_of(problem_type),
            )
        return response.json() if response.content else None


def _problem_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class ServiceCallers:
    """The one way a process wires its calls to the other services: a caller per service, each
    on one shared HTTP client made here (or given, as the in-process tests do), closed together.

    ``ServiceCallers({"profiles": url, ...}, secret=..., ttl_seconds=..., timeout=...)``;
    ``callers["profiles"]`` is the ``ServiceCaller``; ``await callers.aclose()`` closes only the
    clients it made.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        secret: str,
        ttl_seconds: int,
        timeout: float,
        retries: int = 2,
        given: Mapping[str, httpx.AsyncClient] | None = None,
    ) -> None:
        self._made: list[httpx.AsyncClient] = []
        self._callers: dict[str, ServiceCaller] = {}
        for name, url in urls.items():
            client = (given or {}).get(name)
            if client is None:
                client = create_http_client(url, timeout=timeout, retries=retries)
                self._made.append(client)
            self._callers[name] = ServiceCaller(name, client, secret, ttl_seconds)

    def __getitem__(self, name: str) -> ServiceCaller:
        return self._callers[name]

    def __contains__(self, name: object) -> bool:
        return name in self._callers

    async def aclose(self) -> None:
        for client in self._made:
            await client.aclose()
        self._made.clear()


class SchoolDirectory:
    """The calling user's schools, from profiles (``/internal/principals/resolve``), cached
    briefly per user: what the content-ownership rule needs (``pathwise_shared.ownership``).

    A user profiles does not know has none (404); a profiles outage is a 503, never a guess:
    ownership decides who may change content.
    """

    _MAX_ENTRIES = 10_000

    def __init__(self, profiles: ServiceCaller, ttl_seconds: float = 30.0) -> None:
        self._profiles = profiles
        self._ttl = ttl_seconds
        self._cache: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, tuple[uuid.UUID, ...]]] = {}

    async def __call__(self, principal: Principal) -> tuple[uuid.UUID, ...]:
        district_id, user_id = principal.require_district(), principal.user_id
        if user_id is None:
            return ()
        key = (district_id, user_id)
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        try:
            body = await self._profiles.json(
                "POST", "/internal/principals/resolve", principal, json={"user_id": str(user_id)}
            )
        except ServiceUnavailable as exc:
            raise _ownership_unavailable("profiles did not answer") from exc
        except Problem as exc:
            if exc.status_code != 404:
                raise _ownership_unavailable(f"profiles answered {exc.status_code}") from exc
            body = {"school_ids": []}
        raw = body.get("school_ids") if isinstance(body, dict) else None
        if not isinstance(raw, list):
            raise _ownership_unavailable("profiles answered an unexpected shape")
        schools = tuple(uuid.UUID(str(s)) for s in raw)
        if len(self._cache) >= self._MAX_ENTRIES:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), schools)
        return schools


def _ownership_unavailable(why: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"Content ownership cannot be checked right now: {why}.",
        slug="profiles-unavailable",
        headers={"Retry-After": "5"},
    )
