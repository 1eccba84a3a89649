"""Users become principals through profiles (``POST /internal/principals/resolve``)."""

import time
import uuid
from typing import Any

from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller, system_principal
from pathwise_shared.problems import Problem

__all__ = ["PrincipalResolver", "UserNotFound"]

_RESOLVER = system_principal("gateway-auth")


class UserNotFound(Exception):
    """No active user of that name (or id) in the district."""


def principal_from_resolution(body: dict[str, Any]) -> Principal:
    if body.get("status", "active") != "active":
        raise UserNotFound
    user_id = uuid.UUID(str(body["user_id"]))
    return Principal(
        subject=str(user_id),
        kind="user",
        district_id=uuid.UUID(str(body["district_id"])),
        roles=frozenset(str(r) for r in body.get("roles") or ()),
        user_id=user_id,
    )


class PrincipalResolver:
    """Resolves and briefly caches users (the IdP path resolves on every token otherwise)."""

    def __init__(self, profiles: ServiceCaller, cache_seconds: float = 60.0) -> None:
        self._profiles = profiles
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, Principal]] = {}

    async def by_username(self, username: str, district_id: uuid.UUID | None) -> Principal:
        key = (username, str(district_id or ""))
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._cache_seconds:
            return hit[1]
        body: dict[str, Any] = {"username": username}
        if district_id is not None:
            body["district_id"] = str(district_id)
        try:
            answer = await self._profiles.json(
                "POST", "/internal/principals/resolve", _RESOLVER, json=body
            )
        except Problem as exc:
            if exc.status_code in (404, 422):
                raise UserNotFound from exc
            raise
        if not isinstance(answer, dict):
            raise UserNotFound
        principal = principal_from_resolution(answer)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), principal)
        return principal
